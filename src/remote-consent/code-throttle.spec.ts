import { describe, expect, it } from '@jest/globals';
import { codeThrottleKey } from './code-throttle.js';

describe('codeThrottleKey', () => {
  it.each([
    ['203.0.113.7', 'ip:203.0.113.7'],
    ['::ffff:203.0.113.7', 'ip:203.0.113.7'],
    ['2001:db8:1:2::1', 'ip6:2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:eeee:dddd:cccc', 'ip6:2001:db8:1:2::/64'],
    ['2001:db8::1', 'ip6:2001:db8:0:0::/64'],
    ['::1', 'ip6:0:0:0:0::/64'],
    ['fe80::1%eth0', 'ip6:fe80:0:0:0::/64'],
    [null, 'ip:unknown'],
    [undefined, 'ip:unknown'],
  ])('%s counts as %s', (ip, key) => {
    expect(codeThrottleKey(ip)).toBe(key);
  });

  it('counts two addresses of one /64 together, and two /64s apart', () => {
    expect(codeThrottleKey('2001:db8:1:2::a')).toBe(codeThrottleKey('2001:db8:1:2:ffff::b'));
    expect(codeThrottleKey('2001:db8:1:2::a')).not.toBe(codeThrottleKey('2001:db8:1:3::a'));
  });
});
