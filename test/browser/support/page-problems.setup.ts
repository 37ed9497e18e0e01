import { afterEach, expect } from '@jest/globals';
import { takePageProblems } from './page-problems.js';

// Every browser suite: no console error, no uncaught script error, no failed request and
// no unexpected response >= 400 on any page a test visited (see page-problems.ts).
afterEach(() => {
  expect(takePageProblems()).toEqual([]);
});
