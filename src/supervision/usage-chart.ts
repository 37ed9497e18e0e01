/**
 * The dashboard's chart of uses per month, drawn on the server as SVG:
 * no script, no style attribute or element (the page's CSP forbids inline
 * styles), only presentation attributes. Stacked bars, one colour per
 * démarche, with a text equivalent in the page's table.
 */
export interface MonthlyUses {
  months: string[];
  /** Per démarche label, one count per month (same order as `months`). */
  series: Array<{ label: string; counts: number[] }>;
}

const WIDTH = 720;
const HEIGHT = 260;
const LEFT = 40;
const BOTTOM = 40;
const TOP = 16;
// DSFR illustrative colours, distinguishable in sequence.
const COLOURS = ['#000091', '#e1000f', '#18753c', '#b34000', '#6e445a', '#695240', '#0063cb', '#a558a0', '#c3992a', '#3a3a3a'];

const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

const MONTH_NAMES = ['janv.', 'févr.', 'mars', 'avr.', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.'];

export function monthLabel(month: string): string {
  const [y, m] = month.split('-');
  return `${MONTH_NAMES[Number(m) - 1] ?? m} ${y?.slice(2)}`;
}

/** A scale step that gives about four gridlines. */
function step(max: number): number {
  const raw = Math.max(1, max / 4);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= raw)!;
}

export function usageChartSvg(data: MonthlyUses, title: string): string {
  const totals = data.months.map((_, i) => data.series.reduce((sum, s) => sum + (s.counts[i] ?? 0), 0));
  const gridStep = step(Math.max(0, ...totals));
  const top = Math.max(gridStep, Math.ceil(Math.max(0, ...totals) / gridStep) * gridStep);
  const plotHeight = HEIGHT - BOTTOM - TOP;
  const slot = (WIDTH - LEFT) / Math.max(1, data.months.length);
  const y = (value: number) => TOP + plotHeight - (value / top) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-labelledby="usage-chart-title">`,
    `<title id="usage-chart-title">${escapeXml(title)}</title>`,
  ];
  for (let v = 0; v <= top; v += gridStep) {
    parts.push(`<line x1="${LEFT}" x2="${WIDTH}" y1="${y(v)}" y2="${y(v)}" stroke="#dddddd" stroke-width="1"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11" fill="#3a3a3a">${v}</text>`);
  }
  data.months.forEach((month, i) => {
    const x = LEFT + i * slot + slot * 0.2;
    let base = 0;
    data.series.forEach((series, s) => {
      const count = series.counts[i] ?? 0;
      if (count === 0) return;
      const height = (count / top) * plotHeight;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(base + count).toFixed(1)}" width="${(slot * 0.6).toFixed(1)}" height="${height.toFixed(1)}" fill="${COLOURS[s % COLOURS.length]}"><title>${escapeXml(`${series.label}, ${monthLabel(month)} : ${count}`)}</title></rect>`,
      );
      base += count;
    });
    parts.push(`<text x="${(LEFT + i * slot + slot / 2).toFixed(1)}" y="${HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11" fill="#3a3a3a">${escapeXml(monthLabel(month))}</text>`);
  });
  let legendX = LEFT;
  data.series.forEach((series, s) => {
    parts.push(`<rect x="${legendX}" y="${HEIGHT - 14}" width="10" height="10" fill="${COLOURS[s % COLOURS.length]}"/>`);
    parts.push(`<text x="${legendX + 14}" y="${HEIGHT - 5}" font-size="11" fill="#3a3a3a">${escapeXml(series.label)}</text>`);
    legendX += 24 + series.label.length * 6;
  });
  parts.push('</svg>');
  return parts.join('');
}
