import { describe, expect, it } from '@jest/globals';
import { usageChartSvg } from './usage-chart.js';

describe('usageChartSvg', () => {
  const svg = usageChartSvg(
    { months: ['2027-02', '2027-03'], series: [{ label: 'Logement', counts: [3, 0] }, { label: 'Social <&> Santé', counts: [1, 5] }] },
    'Utilisations par mois',
  );

  it('draws one bar per non-empty démarche and month, with its count as a tooltip', () => {
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(3);
    expect(svg).toContain('<title>Logement, févr. 27 : 3</title>');
  });

  it('has no script, no style and escapes labels', () => {
    expect(svg).not.toMatch(/<script|style=|<style|on[a-z]+=/i);
    expect(svg).toContain('Social &lt;&amp;&gt; Santé');
  });

  it('draws an empty chart without dividing by zero', () => {
    expect(usageChartSvg({ months: ['2027-03'], series: [] }, 't')).not.toContain('NaN');
  });
});
