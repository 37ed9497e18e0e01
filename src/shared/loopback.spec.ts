import { describe, expect, it } from '@jest/globals';
import { isLoopbackAddress } from './loopback.js';

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])('%s is loopback', (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
  });

  it.each([undefined, '', '10.0.0.1', '128.0.0.1', '::ffff:10.0.0.1', '::2', 'localhost', '127.0.0.1.evil', 'fe80::1'])('%j is not', (address) => {
    expect(isLoopbackAddress(address)).toBe(false);
  });
});
