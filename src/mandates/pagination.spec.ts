import { describe, expect, it } from '@jest/globals';
import { paginationOf } from './pagination.js';

describe('paginationOf', () => {
  it('shows the page asked when it exists', () => {
    expect(paginationOf('3', 500, 50, '/x?page=')).toMatchObject({ current: 3, last: 10, href: '/x?page=' });
  });

  it('shows the first page for what is not a page number, the last one past the end', () => {
    for (const raw of [undefined, '', 'abc', '0', '-2', '1.5', '2e1', ['2', '3'], 4]) {
      expect(paginationOf(raw, 500, 50, '/x?page=').current).toBe(1);
    }
    expect(paginationOf('11', 500, 50, '/x?page=').current).toBe(10);
    expect(paginationOf('999999999', 501, 50, '/x?page=').current).toBe(11);
  });

  it('has one page for an empty list', () => {
    expect(paginationOf('4', 0, 50, '/x?page=')).toMatchObject({ current: 1, last: 1, items: [1] });
  });

  it('links the first, the last and two pages around the current one, "…" for the others', () => {
    expect(paginationOf('6', 1000, 50, '/x?page=').items).toEqual([1, null, 4, 5, 6, 7, 8, null, 20]);
    expect(paginationOf('1', 1000, 50, '/x?page=').items).toEqual([1, 2, 3, null, 20]);
    expect(paginationOf('2', 200, 50, '/x?page=').items).toEqual([1, 2, 3, 4]);
  });
});
