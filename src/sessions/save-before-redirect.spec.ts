import { get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import session from 'express-session';
import { saveBeforeRedirect } from './sessions.js';

/** A store whose writes take a while, as a busy database's do; it notes when each write ended. */
class SlowStore extends session.MemoryStore {
  readonly writesDone: number[] = [];

  override set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    setTimeout(() => {
      super.set(sid, data, (error?: unknown) => {
        this.writesDone.push(Date.now());
        callback?.(error);
      });
    }, 150);
  }
}

/** When the status line and headers of a response arrived. */
function headersArrival(url: string): Promise<{ at: number; status: number }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      resolve({ at: Date.now(), status: res.statusCode ?? 0 });
      res.resume();
    }).on('error', reject);
  });
}

describe('saveBeforeRedirect', () => {
  const store = new SlowStore();
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const app = express();
    app.use(session({ secret: 'x'.repeat(32), store, resave: false, saveUninitialized: false }));
    app.use(saveBeforeRedirect);
    app.get('/etape', (req, res) => {
      (req.session as unknown as Record<string, unknown>).step = 2;
      res.redirect(303, '/suite');
    });
    app.get('/anonyme', (_req, res) => res.redirect(303, '/ailleurs'));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends a redirect only once the changed session is written', async () => {
    const response = await headersArrival(`${base}/etape`);
    expect(response.status).toBe(303);
    expect(store.writesDone).toHaveLength(1);
    expect(response.at).toBeGreaterThanOrEqual(store.writesDone[0]!);
  });

  it('writes nothing for a session that holds nothing', async () => {
    const before = store.writesDone.length;
    expect((await headersArrival(`${base}/anonyme`)).status).toBe(303);
    expect(store.writesDone).toHaveLength(before);
  });
});
