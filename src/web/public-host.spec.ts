import { describe, expect, it } from '@jest/globals';
import { normalisedHost } from './public-host.js';

describe('normalisedHost', () => {
  it.each([
    ['procuration.example.fr', 'https:', 'procuration.example.fr'],
    ['Procuration.Example.FR', 'https:', 'procuration.example.fr'],
    ['procuration.example.fr:443', 'https:', 'procuration.example.fr'],
    ['procuration.example.fr:8443', 'https:', 'procuration.example.fr:8443'],
    ['localhost:80', 'http:', 'localhost'],
    ['127.0.0.1:3000', 'http:', '127.0.0.1:3000'],
    ['[::1]:3000', 'http:', '[::1]:3000'],
  ])('writes %s (%s) as %s', (value, protocol, expected) => {
    expect(normalisedHost(value, protocol)).toBe(expected);
  });

  it.each([undefined, '', 'evil.example/x', 'a@evil.example', 'evil.example#x', 'evil example', 'evil.example:99999', 'evil.example:', '[zz]'])(
    'refuses %j',
    (value) => {
      expect(normalisedHost(value, 'https:')).toBeNull();
    },
  );
});
