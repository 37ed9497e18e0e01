/**
 * Pagination of the dashboard's lists: which page to show for the `?page=`
 * the browser sent, and the links of the DSFR pagination component.
 */

export interface Pagination {
  current: number;
  last: number;
  /** Page numbers to link, with `null` where pages are left out ("…"). */
  items: Array<number | null>;
  /** The link of a page: `href` followed by its number. */
  href: string;
}

/** Around the current page, the pages linked on each side. */
const AROUND = 2;

/**
 * The page to show: `raw` when it is a page number (digits only) within
 * 1…last; the last page past the end; the first page for anything else
 * (missing, a word, repeated, 0). A list that is empty still has page 1.
 */
export function paginationOf(raw: unknown, total: number, pageSize: number, href: string): Pagination {
  const last = Math.max(1, Math.ceil(total / pageSize));
  const asked = typeof raw === 'string' && /^\d{1,9}$/.test(raw) ? Number(raw) : 1;
  const current = Math.min(Math.max(asked, 1), last);
  const items: Array<number | null> = [];
  for (let n = 1; n <= last; n++) {
    if (n === 1 || n === last || Math.abs(n - current) <= AROUND) items.push(n);
    else if (items[items.length - 1] !== null) items.push(null);
  }
  return { current, last, items, href };
}
