import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../config/config.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { openDatabase } from '../../src/database/database-url.js';
import { freeLoopbackPort } from '../../src/shared/loopback.js';

const ROOT = new URL('../../', import.meta.url);
const TS = ['--import', './test/journal/fixtures/ts-register.mjs'];

/**
 * Issue 17, item 3: one process owns an embedded data directory. Real
 * processes run the TypeScript sources as `npm start` and `npm run cli` run
 * the compiled ones. The suite is about the embedded database: the children
 * never get DATABASE_URL, also when the suites run on PostgreSQL.
 */
describe('embedded data directory: one owner, commands go through it', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'procuration-owner-')), 'data');
  const running = new Set<ChildProcess>();
  const childEnv = (extra: Record<string, string>) => {
    const env: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: '', NODE_ENV: 'test', LOG_LEVEL: 'silent' };
    delete env.DATABASE_URL;
    return { ...env, DATA_DIR: dataDir, FC_SIMULATOR_PORT: '0', DEMO_PARTNER_PORT: '0', ...extra };
  };

  afterAll(async () => {
    for (const child of running) child.kill('SIGKILL');
  });

  interface Service {
    child: ChildProcess;
    url: string;
    stop(): Promise<number | null>;
  }

  /** Starts the service and waits for its "ready" line; rejects with its output if it exits first. */
  async function startService(): Promise<Service> {
    const port = await freeLoopbackPort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [...TS, 'src/main.ts'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv({ PORT: String(port), PUBLIC_URL: url }),
    });
    running.add(child);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('Procuration est prête')) resolve();
      });
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      void exited.then((code) => reject(new Error(`service exited (${code}) before it was ready: ${output}`)));
    });
    return {
      child,
      url,
      stop: async () => {
        child.kill('SIGTERM');
        const code = await exited;
        running.delete(child);
        return code;
      },
    };
  }

  /** Runs a process to its end: exit code and output. */
  function run(args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
    const child = spawn(process.execPath, [...TS, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv(extra) });
    running.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    return new Promise((resolve) =>
      child.on('exit', (code) => {
        running.delete(child);
        resolve({ code, out, err });
      }),
    );
  }

  /** The start of a partner sign-in: a known client is sent on to the interaction (303), an unknown one refused (400). */
  async function authorize(service: Service, clientId: string): Promise<number> {
    const query = new URLSearchParams({
      client_id: clientId,
      redirect_uri: 'https://essai.example.fr/retour',
      response_type: 'code',
      scope: 'openid',
      state: 'state-of-the-owner-test-0123456789',
      nonce: 'nonce-of-the-owner-test-0123456789',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const res = await fetch(`${service.url}/oidc/authorize?${query}`, { redirect: 'manual' });
    return res.status;
  }

  /**
   * What a process printed on stderr, without oidc-provider's notice that it
   * prefers a newer Node.js than some machines run (package.json `engines`).
   */
  const stderrOf = (err: string) => err.replace(/^oidc-provider WARNING: Unsupported runtime\..*\n/m, '');

  let clientId = '';

  it('lets a command change the data of a running service through it: seen at once, kept after a restart', async () => {
    const service = await startService();
    try {
      const added = await run(['src/cli/operator.ts', 'partner:add', '--name', 'Essai', '--redirect-uri', 'https://essai.example.fr/retour', '--demarches', 'logement', '--scopes', 'openid,given_name,family_name']);
      expect(stderrOf(added.err)).toBe('');
      expect(added.code).toBe(0);
      clientId = /client_id\s*:\s*(\S+)/.exec(added.out)?.[1] ?? '';
      expect(clientId).toMatch(/^partenaire-/);
      expect(await authorize(service, clientId)).toBe(303);
      expect(await authorize(service, 'partenaire-inconnu')).toBe(400);
    } finally {
      expect(await service.stop()).toBe(0);
    }
    expect(existsSync(join(dataDir, 'procuration.lock'))).toBe(false);

    const again = await startService();
    try {
      expect(await authorize(again, clientId)).toBe(303);
      const listed = await run(['src/cli/operator.ts', 'partner:list']);
      expect(listed.code).toBe(0);
      expect(listed.out).toContain(clientId);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  }, 240000);

  it('keeps the registration and its journal entry in the directory', async () => {
    const database = await openDatabase(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir }));
    const dataSource = await new DataSource(dataSourceOptions(database.url, 1)).initialize();
    try {
      expect(await dataSource.query(`SELECT name FROM partners WHERE client_id = $1`, [clientId])).toEqual([{ name: 'Essai' }]);
      const [{ entries }] = await dataSource.query(
        `SELECT count(*)::int AS entries FROM (SELECT details FROM journal_entries WHERE action = 'partner.registered'
           UNION ALL SELECT details FROM journal_pending WHERE action = 'partner.registered') e WHERE e.details->>'clientId' = $1`,
        [clientId],
      );
      expect(entries).toBe(1);
    } finally {
      await dataSource.destroy();
      await database.close();
    }
  }, 120000);

  it('refuses a second service on the same directory at once, naming the first, which keeps serving; takes over after it is killed', async () => {
    const first = await startService();
    let killed = false;
    try {
    const port = await freeLoopbackPort();
    const started = Date.now();
    const second = await run(['src/main.ts'], { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` });
    const elapsed = Date.now() - started;
    expect(second.code).toBe(1);
    const lines = stderrOf(second.err).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`Le répertoire de données ${dataDir} est déjà ouvert par le processus ${first.child.pid}`);
    expect(second.out).not.toContain('Procuration est prête');
    // "At once": before the application is even loaded (a start takes several seconds here).
    expect(elapsed).toBeLessThan(10000);
    const health = await fetch(`${first.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ database: 'up' });

      // Killed without a chance to clean up: its lock stays, naming a dead process; the next start takes it over.
      first.child.kill('SIGKILL');
      killed = true;
      await new Promise((resolve) => (first.child.exitCode === null && first.child.signalCode === null ? first.child.once('exit', resolve) : resolve(null)));
      expect(existsSync(join(dataDir, 'procuration.lock'))).toBe(true);
      const next = await startService();
      try {
        expect(await authorize(next, clientId)).toBe(303);
      } finally {
        expect(await next.stop()).toBe(0);
      }
    } finally {
      if (!killed) await first.stop();
    }
  }, 300000);
});
