import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('GET /health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('says the database is up', async () => {
    const res = await request(t.url).get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok', database: 'up', franceconnect: 'up' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers 503 once the database is stopped', async () => {
    await t.database.makeUnavailable();
    const res = await request(t.url).get('/health').expect(503);
    expect(res.body).toEqual({ status: 'error', database: 'down', franceconnect: 'up' });
  });
});
