import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { REDACTED_PATHS } from './logging.js';

function capture(): { stream: Writable; lines: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, lines: () => chunks.join('') };
}

describe('log redaction', () => {
  it('masks cookies, authorization headers, passwords, TOTP codes and form bodies', () => {
    const { stream, lines } = capture();
    const logger = pino({ redact: { paths: REDACTED_PATHS, censor: '[masqué]' } }, stream);
    logger.info({
      req: {
        headers: { cookie: 'sid=s3cr3t-cookie', authorization: 'Bearer tok3n' },
        body: { email: 'marie@example.fr' },
      },
      res: { headers: { 'set-cookie': 'sid=n3w-cookie' } },
      form: { password: 'hunter2-password', totp: '123456' },
    });
    const out = lines();
    for (const secret of ['s3cr3t-cookie', 'tok3n', 'marie@example.fr', 'n3w-cookie', 'hunter2-password', '123456']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('[masqué]');
  });
});
