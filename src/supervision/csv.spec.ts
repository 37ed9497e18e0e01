import { describe, expect, it } from '@jest/globals';
import { csvCell, csvRow } from './csv.js';

describe('csvCell', () => {
  it.each<[string | number | null, string]>([
    ['plain', 'plain'],
    [42, '42'],
    [null, ''],
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+33 1 23', "'+33 1 23"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['a;b', '"a;b"'],
    ['dit "oui"', '"dit ""oui"""'],
    ['ligne\nsuivante', '"ligne\nsuivante"'],
    ['Émile Zola', 'Émile Zola'],
  ])('%j → %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('joins a row with ; and ends it with CRLF', () => {
    expect(csvRow(['a', null, '=1'])).toBe("a;;'=1\r\n");
  });
});
