import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Item 10: the development outbox shows invitation links (one-time
 * credentials); it answers only to a browser on the machine itself.
 */
describe('/dev/outbox', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Behind a trusted proxy, so that a distant client can be told apart from a local one.
    t = await startTestApp({ NODE_ENV: 'development', DEMO_SEED: 'false', TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers a loopback client in development', async () => {
    const res = await request(t.url).get('/dev/outbox').expect(200);
    expect(res.text).toContain('Boîte d’envoi');
  });

  it.each(['203.0.113.7', '10.0.0.2', '::ffff:192.0.2.1'])('answers 404 to a client at %s, in development too', async (ip) => {
    const res = await request(t.url).get('/dev/outbox').set('X-Forwarded-For', ip).set('Accept', 'text/html');
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('Boîte d’envoi');
  });

  it('still answers a loopback client named by the proxy', async () => {
    await request(t.url).get('/dev/outbox').set('X-Forwarded-For', '::1').expect(200);
  });
});
