/**
 * WEB_CONCURRENCY=2: the service as it is started in production
 * (`src/main.ts` in its own process), with two worker processes behind one
 * port. A signed-in aidant's requests, each on a new connection, are
 * answered by both workers and stay signed in; a worker that dies is
 * replaced; SIGTERM stops the primary and both workers.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Secret, TOTP } from 'otpauth';
import superagent from 'superagent';
import { loadConfig } from '../config/config.js';
import { createApp } from '../src/app.factory.js';
import { TransactionRunner } from '../src/database/transaction-runner.js';
import { simulatorClientFrom, startFcSimulator, type FcSimulator } from '../src/fc-simulator/fc-simulator.js';
import { KnownAccounts } from '../src/seed/accounts.js';
import { freeLoopbackPort } from '../src/shared/loopback.js';
import { csrfOf, TEST_PASSWORD, TEST_SECRET } from './support/aidants.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const ROOT = new URL('../', import.meta.url);
const EMAIL = 'aidant@cluster.test';
const FC_CLIENT_ID = 'procuration-cluster-test';

/** Each request on a new connection: node:cluster hands connections, not requests, to its workers in turn. */
const onNewConnection = <T extends { set(field: string, value: string): T }>(req: T, id: string): T =>
  req.set('Connection', 'close').set('X-Request-Id', id);

describe('WEB_CONCURRENCY=2: two worker processes behind one port', () => {
  let database: TestDatabase;
  let simulator: FcSimulator;
  let service: ChildProcessWithoutNullStreams;
  let url: string;
  let exited: Promise<number | null>;
  /** The JSON log lines of the primary and its workers, as they come. */
  const lines: Array<Record<string, unknown>> = [];
  let output = '';

  /** The pid of the process that logged the completion of this request. */
  const pidOf = async (requestId: string): Promise<number> => {
    for (let i = 0; i < 100; i++) {
      const line = lines.find((l) => (l.req as { id?: string } | undefined)?.id === requestId && l.res !== undefined);
      if (line) return line.pid as number;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no log line for request ${requestId}`);
  };

  const nextLine = async (match: (line: Record<string, unknown>) => boolean, what: string) => {
    for (let i = 0; i < 600; i++) {
      const line = lines.find(match);
      if (line) return line;
      if (service.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${what} not logged; output: ${output.slice(-2000)}`);
  };

  beforeAll(async () => {
    // On PGlite, more connections than one instance's pool: two workers and the seeding app.
    database = await createTestDatabase(process.env.DATABASE_URL, { maxConnections: 10 });
    const port = await freeLoopbackPort();
    url = `http://127.0.0.1:${port}`;
    const secret = (n: number) => randomBytes(n).toString('base64url');
    const fcClientSecret = secret(24);
    // The seeding app encrypts the aidant's TOTP secret (and any key it creates) with the service's keys.
    const keys = { KEYS_ENCRYPTION_KEY: randomBytes(32).toString('base64'), TOTP_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
    simulator = await startFcSimulator({ port: 0, nodeEnv: 'test', clients: [] });
    await simulator.registerClient(simulatorClientFrom({ publicUrl: url, franceConnect: { clientId: FC_CLIENT_ID, clientSecret: fcClientSecret } }));

    // Migrations and the aidant through the services, in this process; then the service alone on the database.
    const seeding = await createApp(
      loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: database.url, DATABASE_POOL_SIZE: '1', FC_ISSUER: simulator.issuer, DEMO_PARTNER_PORT: '0', ...keys }),
    );
    try {
      const known = new KnownAccounts(seeding.app);
      await seeding.app.get(TransactionRunner).run(async (m) => {
        const { structure } = await known.structure(m, { name: 'Médiathèque de Test', siret: '21700550300016', type: 'mediatheque', address: '1 place de la Mairie' });
        await known.aidant(m, { email: EMAIL, givenName: 'Camille', familyName: 'Martin', password: TEST_PASSWORD, totpSecret: TEST_SECRET, memberships: [{ structureId: structure.id, roles: ['aidant'] }] });
      });
    } finally {
      await seeding.close();
    }

    service = spawn(process.execPath, ['--import', './test/journal/fixtures/ts-register.mjs', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        LOG_LEVEL: 'info',
        WEB_CONCURRENCY: '2',
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: url,
        DATABASE_URL: database.url,
        DATABASE_POOL_SIZE: database.kind === 'pglite' ? '1' : '2',
        FC_ISSUER: simulator.issuer,
        FC_CLIENT_ID,
        FC_CLIENT_SECRET: fcClientSecret,
        SESSION_SECRET: secret(32),
        FC_SUB_KEY: secret(32),
        PROVIDER_PAIRWISE_KEY: secret(32),
        ...keys,
      },
    });
    exited = new Promise((resolve) => service.once('exit', (code) => resolve(code)));
    service.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    for (const stream of [service.stdout]) {
      createInterface({ input: stream }).on('line', (line) => {
        output += `${line}\n`;
        if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
      });
    }
    await nextLine((l) => typeof l.msg === 'string' && l.msg.startsWith('2 worker processes listening'), 'the workers');
  }, 180_000);

  afterAll(async () => {
    if (service && service.exitCode === null) {
      service.kill('SIGKILL');
      await exited;
    }
    await simulator?.close();
    await database?.drop();
  });

  it('shares a signed-in session between both workers', async () => {
    const browser = superagent.agent().redirects(0).ok(() => true);
    const form = await onNewConnection(browser.get(`${url}/aidant/connexion`), 'cluster-form');
    expect(form.status).toBe(200);
    const code = TOTP.generate({ secret: Secret.fromBase32(TEST_SECRET), period: 30, digits: 6 });
    const signedIn = await onNewConnection(browser.post(`${url}/aidant/connexion`), 'cluster-sign-in')
      .type('form')
      .send({ _csrf: csrfOf(form.text), email: EMAIL, password: TEST_PASSWORD, totp: code });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.location).toBe('/aidant');

    const pids = new Set<number>([await pidOf('cluster-form'), await pidOf('cluster-sign-in')]);
    for (let i = 0; i < 6; i++) {
      const page = await onNewConnection(browser.get(`${url}/aidant`), `cluster-dashboard-${i}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Bonjour Camille Martin');
      pids.add(await pidOf(`cluster-dashboard-${i}`));
    }
    expect(pids.size).toBe(2);
    expect(pids.has(service.pid!)).toBe(false);
  }, 60_000);

  it('replaces a worker that dies, and stops all of them on SIGTERM', async () => {
    const before = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('2 worker processes listening'))!;
    const workers = /\(([0-9]+), ([0-9]+)\)/.exec(before.msg as string)!.slice(1).map(Number);
    process.kill(workers[0]!, 'SIGKILL');
    const replaced = await nextLine((l) => typeof l.msg === 'string' && /^worker process [0-9]+ listening$/.test(l.msg), 'the replacement');
    const replacement = Number(/([0-9]+)/.exec(replaced.msg as string)![1]);
    expect(workers).not.toContain(replacement);

    const health = await onNewConnection(superagent.get(`${url}/health`).ok(() => true), 'cluster-health');
    expect(health.status).toBe(200);

    service.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of [workers[1]!, replacement]) expect(() => process.kill(pid, 0)).toThrow();
  }, 120_000);
});
