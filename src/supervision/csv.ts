/** CSV for spreadsheets (French Excel and LibreOffice): UTF-8 with BOM, `;` separator, CRLF. */
export const CSV_BOM = '\uFEFF';
export const CSV_SEPARATOR = ';';

/**
 * One cell. A text a spreadsheet would run as a formula (starting with =, +,
 * -, @, or a tab or carriage return that hides one) gets a leading quote, so
 * it shows as text; cells holding the separator, quotes or line breaks are
 * quoted.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : String(value);
  if (FORMULA_START.has(text.charCodeAt(0))) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** `=`, `+`, `-`, `@`, tab, carriage return. */
const FORMULA_START = new Set([0x3d, 0x2b, 0x2d, 0x40, 0x09, 0x0d]);
const NEEDS_QUOTES = /[;"\r\n]/;

export function csvRow(cells: ReadonlyArray<string | number | null | undefined>): string {
  let row = csvCell(cells[0]);
  for (let i = 1; i < cells.length; i++) row += CSV_SEPARATOR + csvCell(cells[i]);
  return `${row}\r\n`;
}
