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
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[;"\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(cells: ReadonlyArray<string | number | null | undefined>): string {
  return `${cells.map(csvCell).join(CSV_SEPARATOR)}\r\n`;
}
