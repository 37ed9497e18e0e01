import type { Page } from 'playwright-core';

/** Where the focused element sits and whether a sighted keyboard user can see the focus. */
export interface Focused {
  /** skiplinks, header, breadcrumb, main or footer. */
  region: string;
  tag: string;
  id: string;
  type: string;
  /** Accessible-ish name: the label's text for fields, the text otherwise. */
  name: string;
  top: number;
  /** An outline or a box-shadow is drawn around the element or its ::before box (or, for DSFR checkboxes and radios, around their label's box). */
  visible: boolean;
}

/** Describes document.activeElement. */
export function focused(page: Page): Promise<Focused | null> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return null;
    const region = el.closest('.fr-skiplinks')
      ? 'skiplinks'
      : el.closest('header')
        ? 'header'
        : el.closest('.fr-breadcrumb')
          ? 'breadcrumb'
          : el.closest('main')
            ? 'main'
            : el.closest('footer')
              ? 'footer'
              : 'other';
    const drawn = (style: CSSStyleDeclaration) =>
      (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || (style.boxShadow !== 'none' && style.boxShadow !== '');
    const input = el as HTMLInputElement;
    const label = input.labels?.[0] ?? null;
    // The DSFR draws some rings on ::before (links that enlarge to their whole block, such as the header's service name).
    let visible = drawn(getComputedStyle(el)) || drawn(getComputedStyle(el, '::before'));
    // The DSFR hides the native checkbox or radio and draws its box in the label's ::before: the focus ring is drawn there.
    if (!visible && label && (input.type === 'checkbox' || input.type === 'radio')) {
      visible = drawn(getComputedStyle(label, '::before')) || drawn(getComputedStyle(label));
    }
    const box = (label && (input.type === 'checkbox' || input.type === 'radio') ? label : el).getBoundingClientRect();
    return {
      region,
      tag: el.tagName.toLowerCase(),
      id: el.id,
      type: input.type ?? '',
      name: (label?.textContent ?? el.textContent ?? '').replace(/\s+/g, ' ').trim(),
      top: box.top + window.scrollY,
      visible,
    };
  });
}

/**
 * Presses Tab (or Shift+Tab) until the focused element satisfies `wanted`,
 * and returns every element focused on the way, the last one included.
 */
export async function tabUntil(page: Page, wanted: (f: Focused) => boolean, options: { back?: boolean; max?: number } = {}): Promise<Focused[]> {
  const path: Focused[] = [];
  for (let i = 0; i < (options.max ?? 80); i += 1) {
    await page.keyboard.press(options.back ? 'Shift+Tab' : 'Tab');
    const f = await focused(page);
    if (!f) continue;
    path.push(f);
    if (wanted(f)) return path;
  }
  throw new Error(`focus never reached the wanted element; path: ${path.map((f) => `${f.region}:${f.tag}#${f.id} ${f.name}`).join(' → ')}`);
}
