import { describe, expect, it } from '@jest/globals';
import type { Request } from 'express';
import { requestFactsOf } from './request-facts.js';

function requestWith(headers: Record<string, string>, ip: string | undefined, id?: unknown): Request {
  return { ip, id, get: (name: string) => headers[name.toLowerCase()] } as unknown as Request;
}

describe('requestFactsOf', () => {
  it('takes the IP, user agent and request id of the request', () => {
    expect(requestFactsOf(requestWith({ 'user-agent': 'Firefox/140' }, '192.0.2.7', 'req-12345678'))).toEqual({
      ip: '192.0.2.7',
      userAgent: 'Firefox/140',
      requestId: 'req-12345678',
    });
  });

  it('truncates a long user agent to 512 characters', () => {
    const facts = requestFactsOf(requestWith({ 'user-agent': 'x'.repeat(2000) }, '::1', 'r'));
    expect(facts.userAgent).toHaveLength(512);
  });

  it('gives nulls for what the request lacks', () => {
    expect(requestFactsOf(requestWith({}, undefined, { not: 'an id' }))).toEqual({
      ip: null,
      userAgent: null,
      requestId: null,
    });
  });
});
