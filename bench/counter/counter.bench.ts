/**
 * Counter benchmark (docs/benchmarks.md, section Counter); not a test.
 * On a PostgreSQL server (default the local one), in a throwaway database
 * `procuration_counter_bench_<time>` dropped afterwards unless
 * `--keep-database` (or measured again with `--reuse <name>`):
 *   1. starts the FranceConnect simulator in this process and, once, the
 *      application in this process to migrate and seed the structure and its
 *      aidants through the services, then generates with set-based SQL
 *      (counter-data.ts) the mandates, usagers and journal entries;
 *   2. starts the built application as a separate process, in production
 *      mode (`node dist/src/main.js`, secrets derived from the database's
 *      name so that a kept database can be measured again), with a statement
 *      counter loaded beside it (statement-counter.ts);
 *   3. signs the aidants in through the real form, then measures from
 *      outside over HTTP: first each kind of visit alone, one after the
 *      other (CPU time of the application's process and of the database's
 *      backends, statements, per visit and per request), then `--clients`
 *      closed-loop clients at human pace (think time between pages) for
 *      `--seconds`, a mix weighted like a counter; every request's latency
 *      counted under its route.
 *
 *   npm run bench:counter [-- --seconds 60 --clients 200 --think 2 --workers 2 --keep-database]
 *   npm run bench:counter -- --reuse procuration_counter_bench_<time> --seconds 10
 */
import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { createHmac, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import { loadConfig } from '../../config/config.js';
import { createApp, type RunningApp } from '../../src/app.factory.js';
import { codeAtStep, TOTP_WINDOW } from '../../src/aidants/totp.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { simulatorClientFrom, startFcSimulator, type FcSimulator } from '../../src/fc-simulator/fc-simulator.js';
import { KnownAccounts } from '../../src/seed/accounts.js';
import { adminQuery } from '../../src/shared/admin-query.js';
import { freeLoopbackPort } from '../../src/shared/loopback.js';
import { processCpuSeconds } from '../support/backend-cpu.js';
import { CounterBrowser, csrfOn, type Page, type Sample } from './counter-browser.js';
import { generateCounterData } from './counter-data.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    seconds: { type: 'string', default: '60' },
    clients: { type: 'string', default: '200' },
    /** Mean think time between two pages of a client, in seconds (each pause drawn between half and one and a half of it). */
    think: { type: 'string', default: '2' },
    /** Visits of each kind in the measurement of one visit at a time (after 3 warm-ups). */
    solo: { type: 'string', default: '20' },
    aidants: { type: 'string', default: '300' },
    referents: { type: 'string', default: '10' },
    mandates: { type: 'string', default: '10000' },
    live: { type: 'string', default: '2000' },
    usagers: { type: 'string', default: '8000' },
    entries: { type: 'string', default: '1000000' },
    /** The service's worker processes (WEB_CONCURRENCY); 1 serves from one process. */
    workers: { type: 'string', default: '2' },
    /** Only these visits (comma-separated names, e.g. `dashboard,structure journal`), in both measurements. */
    only: { type: 'string' },
    /** Write a V8 CPU profile of the application's process into this directory (`--cpu-prof`), e.g. to see what a page costs. */
    profile: { type: 'string' },
    'keep-database': { type: 'boolean', default: false },
    /** Measure on a database kept by an earlier run (`--keep-database`), without generating. */
    reuse: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const THINK_MS = Number(values.think) * 1000;
const SOLO = Number(values.solo);
const WORKERS = Number(values.workers);
const AIDANTS = Number(values.aidants);
const REFERENTS = Math.min(AIDANTS, Number(values.referents));
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const PASSWORD = 'Procuration-bench-2026';
const FC_CLIENT_ID = 'procuration-counter-bench';
const HARD_LIMIT_MS = 45 * 60_000;
const IDENTITIES = ['angela', 'lucia', 'paul', 'jeanne', 'mamadou', 'eric'];
const DEMARCHES = ['papiers', 'famille', 'social', 'travail', 'logement', 'transports', 'argent', 'justice', 'etranger', 'loisirs'];
const SEARCHES = ['martin', 'jean dubois', 'lucie', 'moreau', 'inès'];
const out = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
if (CLIENTS > AIDANTS) throw new Error('--clients must not exceed --aidants (each client is an aidant with a wizard of its own)');

/** Throwaway secrets, derived from the database's name so that `--reuse` finds its keys and usagers again. */
function secrets(name: string) {
  const derive = (purpose: string) => createHmac('sha256', `procuration-counter-bench:${name}`).update(purpose).digest();
  return {
    SESSION_SECRET: derive('session').toString('base64url'),
    FC_CLIENT_SECRET: derive('fc-client').toString('base64url'),
    FC_SUB_KEY: derive('fc-sub').toString('base64url'),
    KEYS_ENCRYPTION_KEY: derive('keys').toString('base64'),
    TOTP_ENCRYPTION_KEY: derive('totp').toString('hex'),
    PROVIDER_PAIRWISE_KEY: derive('pairwise').toString('base64url'),
  };
}

function appEnvironment(name: string, databaseUrl: string, port: number, issuer: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    HOST: '127.0.0.1',
    WEB_CONCURRENCY: String(WORKERS),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: databaseUrl,
    FC_ISSUER: issuer,
    FC_CLIENT_ID,
    ...secrets(name),
  };
}

// ---- Measuring the application's process and the database's backends ----

/** CPU seconds of a process of this machine; 0 once it has gone. */
function processCpu(pid: number): number {
  return processCpuSeconds(pid) ?? 0;
}

/** CPU seconds of the application: its process and, with WEB_CONCURRENCY > 1, its worker processes. */
function applicationCpu(pid: number): number {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // Not Linux, or the process has gone: its own time only.
  }
  return children.reduce((sum, child) => sum + processCpu(child), processCpu(pid));
}

interface Reading {
  app: number;
  backends: Map<number, number>;
  statements: number;
  at: number;
}

class Meter {
  constructor(
    private readonly child: ChildProcess,
    private readonly monitor: pg.Client,
    private readonly database: string,
  ) {}

  /** The statements the application has sent so far (statement-counter.ts answers on the IPC channel). */
  private statements(): Promise<number> {
    return new Promise((resolve, reject) => {
      if (!this.child.connected) return reject(new Error(`the application's process has stopped (exit ${this.child.exitCode})`));
      const timer = setTimeout(() => reject(new Error('the statement counter did not answer')), 10_000);
      const listen = (message: unknown) => {
        const count = (message as { statements?: number } | null)?.statements;
        if (typeof count !== 'number') return;
        clearTimeout(timer);
        this.child.off('message', listen);
        resolve(count);
      };
      this.child.on('message', listen);
      this.child.send({ statements: true });
    });
  }

  async read(): Promise<Reading> {
    // This monitoring connection is left out of the backends.
    const { rows } = await this.monitor.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [this.database],
    );
    const backends = new Map(rows.map(({ pid }) => [pid, processCpu(pid)]));
    return { app: applicationCpu(this.child.pid!), backends, statements: await this.statements(), at: performance.now() };
  }

  /** The application's connections by state (`active`, `idle in transaction`, `idle`), waiting ones apart. */
  async states(): Promise<Map<string, number>> {
    const { rows } = await this.monitor.query<{ state: string; n: number }>(
      `SELECT CASE WHEN wait_event_type IN ('Lock', 'LWLock') THEN 'waiting for a lock' ELSE coalesce(state, '?') END AS state, count(*)::int AS n
         FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() GROUP BY 1`,
      [this.database],
    );
    return new Map(rows.map((r) => [r.state, r.n]));
  }

  static since(before: Reading, after: Reading) {
    let backends = 0;
    for (const [pid, used] of after.backends) backends += used - (before.backends.get(pid) ?? 0);
    return { app: after.app - before.app, backends, statements: after.statements - before.statements, seconds: (after.at - before.at) / 1000 };
  }
}

// ---- Recording latencies ----

class Recorder {
  recording = false;
  readonly routes = new Map<string, { times: number[]; errors: number }>();
  failures = 0;
  readonly failureNotes = new Map<string, number>();

  record = (sample: Sample) => {
    if (!this.recording) return;
    const route = this.routes.get(sample.route) ?? { times: [], errors: 0 };
    this.routes.set(sample.route, route);
    route.times.push(sample.ms);
    if (!sample.ok) route.errors++;
  };

  fail(kind: string, error: unknown) {
    if (!this.recording) return;
    this.failures++;
    const note = `${kind}: ${error instanceof Error ? error.message.slice(0, 160) : String(error)}`;
    this.failureNotes.set(note, (this.failureNotes.get(note) ?? 0) + 1);
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

// ---- The people at the counter ----

/** One signed-in aidant: a browser, and the TOTP steps already used (a code is accepted once). */
class Aidant {
  private lastStep = -Infinity;

  constructor(
    readonly email: string,
    readonly browser: CounterBrowser,
  ) {}

  /** A code for a step not yet used, within the accepted window; waits for the next step when all are used. */
  async freshCode(): Promise<string> {
    for (;;) {
      const now = Math.floor(Date.now() / 30_000);
      const step = Math.max(now, this.lastStep + 1);
      if (step <= now + TOTP_WINDOW) {
        this.lastStep = step;
        return codeAtStep(SECRET, 30, step);
      }
      await sleep(1000);
    }
  }
}

interface Counter {
  base: string;
  aidants: Aidant[];
  referents: Aidant[];
  record: (sample: Sample) => void;
  /** The structure's mandates, as the last dashboard listed them (the same for every aidant of the structure). */
  mandates: string[];
}

async function signIn(base: string, aidant: Aidant): Promise<void> {
  const form = await aidant.browser.get(`${base}/aidant/connexion`);
  const page = await aidant.browser.post(`${base}/aidant/connexion`, {
    _csrf: csrfOn(form), email: aidant.email, password: PASSWORD, totp: await aidant.freshCode(),
  });
  if (new URL(page.url).pathname !== '/aidant') throw new Error(`sign-in of ${aidant.email} ended on ${page.url} (HTTP ${page.status})`);
}

const pick = <T>(list: readonly T[]): T => list[randomInt(list.length)]!;
const expectPath = (page: Page, pattern: RegExp, what: string) => {
  if (page.status !== 200 || !pattern.test(new URL(page.url).pathname)) {
    throw new Error(`${what}: ended on ${new URL(page.url).pathname} (HTTP ${page.status})`);
  }
  return page;
};

type Think = () => Promise<void>;
type Visit = (counter: Counter, me: Aidant, think: Think) => Promise<void>;

async function dashboard(counter: Counter, me: Aidant): Promise<Page> {
  const page = expectPath(await me.browser.get(`${counter.base}/aidant`), /^\/aidant$/, 'dashboard');
  counter.mandates = [...new Set([...page.html.matchAll(/\/aidant\/mandats\/([0-9a-f-]{36})/g)].map((m) => m[1]!))];
  return page;
}

/** The visits, weighted like a counter (weights sum to 100). */
const ALL_VISITS: Array<{ name: string; weight: number; visit: Visit }> = [
  { name: 'dashboard', weight: 30, visit: async (c, me) => void (await dashboard(c, me)) },
  {
    name: 'mandate page',
    weight: 25,
    visit: async (c, me) => {
      if (c.mandates.length === 0) await dashboard(c, me);
      expectPath(await me.browser.get(`${c.base}/aidant/mandats/${pick(c.mandates)}`), /^\/aidant\/mandats\/[0-9a-f-]{36}$/, 'mandate page');
    },
  },
  {
    name: 'dashboard search',
    weight: 5,
    visit: async (c, me) => void expectPath(await me.browser.get(`${c.base}/aidant?nom=${encodeURIComponent(pick(SEARCHES))}`), /^\/aidant$/, 'search'),
  },
  { name: 'wizard', weight: 7, visit: (c, me, think) => openMandate(c, me, think) },
  { name: 'usager space', weight: 6, visit: (c, _me, think) => usagerSpace(c, think) },
  {
    name: 'structure journal',
    weight: 17,
    visit: async (c) => {
      const referent = pick(c.referents);
      const filter = randomInt(4) === 0 ? `?action=autorisation.used&demarche=${pick(DEMARCHES)}` : '';
      expectPath(await referent.browser.get(`${c.base}/structure/journal${filter}`), /^\/structure\/journal$/, 'journal');
    },
  },
  {
    name: 'structure dashboard',
    weight: 10,
    visit: async (c) => void expectPath(await pick(c.referents).browser.get(`${c.base}/structure`), /^\/structure$/, 'structure dashboard'),
  },
];

const ONLY = values.only?.split(',').map((n) => n.trim());
const VISITS = ALL_VISITS.filter((v) => !ONLY || ONLY.includes(v.name));
if (VISITS.length === 0) throw new Error(`--only: none of ${ALL_VISITS.map((v) => v.name).join(', ')}`);
const WEIGHTS = VISITS.reduce((sum, v) => sum + v.weight, 0);

/** The wizard: choice, FranceConnect consent at the simulator (then its logout), recap with a fresh code, the new mandate's page. */
async function openMandate(c: Counter, me: Aidant, think: Think): Promise<void> {
  const choice = expectPath(await me.browser.get(`${c.base}/aidant/mandats/nouveau`), /^\/aidant\/mandats\/nouveau$/, 'wizard choice');
  await think();
  const first = randomInt(10);
  const consent = expectPath(
    await me.browser.post(`${c.base}/aidant/mandats/nouveau`, [
      ['_csrf', csrfOn(choice)], ['demarches', DEMARCHES[first]!], ['demarches', DEMARCHES[(first + 1 + randomInt(9)) % 10]!], ['duree', pick(['mois', 'semestre', 'long'])],
    ]),
    /\/franceconnect$/, 'wizard consent page',
  );
  await think();
  let page = await me.browser.submit(consent, '/aidant/mandats/nouveau/franceconnect');
  page = await me.browser.press(page, 'identity', pick(IDENTITIES));
  if (me.browser.hasButton(page, 'decision')) page = await me.browser.press(page, 'decision', 'continue');
  if (me.browser.hasButton(page, 'logout')) page = await me.browser.press(page, 'logout', 'yes');
  const recap = expectPath(page, /\/recapitulatif$/, 'wizard recap');
  await think();
  const done = await me.browser.post(`${c.base}/aidant/mandats/nouveau/recapitulatif`, { _csrf: csrfOn(recap), declaration: 'oui', totp: await me.freshCode() });
  expectPath(done, /^\/aidant\/mandats\/[0-9a-f-]{36}$/, 'wizard confirmation');
}

/** A usager signs in through the simulator from the usager space and reads it. */
async function usagerSpace(c: Counter, think: Think): Promise<void> {
  const browser = new CounterBrowser(c.base, c.record);
  const home = expectPath(await browser.get(`${c.base}/usager`), /^\/usager$/, 'usager home');
  await think();
  let page = await browser.submit(home, '/usager/connexion');
  page = await browser.press(page, 'identity', pick(IDENTITIES));
  if (browser.hasButton(page, 'decision')) page = await browser.press(page, 'decision', 'continue');
  expectPath(page, /^\/usager$/, 'usager space');
  if (!page.html.includes('action="/usager/deconnexion"')) throw new Error('usager space without its sign-out form');
}

function pickVisit() {
  let n = randomInt(WEIGHTS);
  for (const v of VISITS) {
    if (n < v.weight) return v;
    n -= v.weight;
  }
  return VISITS[0]!;
}

// ---- The run ----

async function main() {
  Logger.overrideLogger(false);
  const name = values.reuse ?? `procuration_counter_bench_${Date.now()}`;
  if (!/^procuration_counter_bench_\d+$/.test(name)) throw new Error('--reuse takes the name of a counter benchmark database');
  const url = new URL(values.server!);
  url.pathname = `/${name}`;
  const timer = setTimeout(() => {
    out('hard time limit reached');
    process.exit(3);
  }, HARD_LIMIT_MS);
  out(`counter benchmark: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}; load average ${load()}`);
  out(`database ${name}${values.reuse ? ' (reused)' : ''}`);
  const port = await freeLoopbackPort();
  const base = `http://127.0.0.1:${port}`;
  const names = secrets(name);
  let simulator: FcSimulator | undefined;
  let child: ChildProcess | undefined;
  const monitor = new pg.Client({ connectionString: url.toString() });
  let monitoring = false;
  if (!values.reuse) await adminQuery(values.server!, `CREATE DATABASE ${name}`);
  try {
    simulator = await startFcSimulator({
      port: 0, nodeEnv: 'development',
      clients: [simulatorClientFrom({ publicUrl: base, franceConnect: { clientId: FC_CLIENT_ID, clientSecret: names.FC_CLIENT_SECRET } })],
    });
    const environment = appEnvironment(name, url.toString(), port, simulator.issuer);
    if (!values.reuse) await seedAndGenerate(environment, url.toString());
    await settleJournal(environment, url.toString());

    // The built application in its own process, as it runs in service.
    const started = performance.now();
    const here = dirname(fileURLToPath(import.meta.url));
    child = fork(join(here, '../../src/main.js'), [], {
      execArgv: ['--import', join(here, 'statement-counter.js'), ...(values.profile ? ['--cpu-prof', '--cpu-prof-dir', values.profile] : [])],
      env: { PATH: process.env.PATH ?? '', ...environment },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    child.on('error', (error) => out(`application process: ${error.message}`));
    let ready = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Procuration est prête')) ready = true;
    });
    const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`the application stopped (exit ${code})`))));
    exited.catch(() => undefined);
    while (!ready) await Promise.race([sleep(200), exited]);
    out(`application started as process ${child.pid} with ${WORKERS === 1 ? 'no worker process (WEB_CONCURRENCY=1)' : `${WORKERS} worker processes (WEB_CONCURRENCY=${WORKERS})`} in ${((performance.now() - started) / 1000).toFixed(1)} s (production mode, templates compiled once)`);
    await monitor.connect();
    monitoring = true;
    const [counts] = (await monitor.query<{ mandates: string; live: string; entries: string; aidants: string }>(
      `SELECT (SELECT count(*) FROM mandates) AS mandates,
              (SELECT count(*) FROM mandates WHERE revoked_at IS NULL AND expires_at > now()) AS live,
              (SELECT count(*) FROM journal_entries) AS entries, (SELECT count(*) FROM aidants) AS aidants`,
    )).rows;
    out(`data: ${counts!.mandates} mandates (${counts!.live} live), ${counts!.entries} journal entries, ${counts!.aidants} aidants`);
    await measure(base, new Meter(child, monitor, name));
  } finally {
    clearTimeout(timer);
    if (monitoring) await monitor.end();
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await simulator?.close();
    if (!values['keep-database'] && !values.reuse) await adminQuery(values.server!, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

/** Migrations and accounts through the application (in this process, once), then the bulk data. */
async function seedAndGenerate(environment: Record<string, string>, databaseUrl: string): Promise<void> {
  const started = performance.now();
  let running: RunningApp | undefined;
  let structureId: string;
  const aidantIds: string[] = [];
  try {
    running = await createApp(loadConfig({ ...environment, LOG_LEVEL: 'silent' }));
    const known = new KnownAccounts(running.app);
    const tx = running.app.get(TransactionRunner);
    structureId = await tx.run(async (m) =>
      (await known.structure(m, { name: 'France Services de Vesoul', siret: '21700550300016', type: 'france_services', address: '1 place de la Mairie' })).structure.id,
    );
    for (let i = 0; i < AIDANTS; i++) {
      aidantIds.push(
        await tx.run(async (m) =>
          (await known.aidant(m, {
            email: `aidant${i}@bench.test`, givenName: pick(['Camille', 'Sam', 'Rita', 'Gaël', 'Nadia', 'Yann']), familyName: `N${i}`,
            password: PASSWORD, totpSecret: SECRET,
            memberships: [{ structureId, roles: i < REFERENTS ? ['aidant', 'referent'] : ['aidant'] }],
          })).id,
        ),
      );
    }
    out(`application migrated and ${AIDANTS} aidants created through the services in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await running?.close();
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const t0 = performance.now();
  try {
    await generateCounterData(client, {
      structureId, aidantIds, usagers: Number(values.usagers), mandates: Number(values.mandates), live: Number(values.live), entries: Number(values.entries),
    }, out);
  } finally {
    await client.end();
  }
  out(`data generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * The generator writes the structure's entries straight into the journal,
 * without the chain's row nor its Merkle tree; the sequencer needs both
 * (without them each of its batches failed, and nothing appended during a
 * run was ever sealed). The chain's row is added here, then the sequencer
 * of an application in this process builds the tree (once: a no-op on a
 * database that has it) and seals what is pending, so that every
 * measurement starts with an empty queue and counts its own sealing.
 */
async function settleJournal(environment: Record<string, string>, databaseUrl: string): Promise<void> {
  const started = performance.now();
  await adminQuery(databaseUrl, `INSERT INTO journal_chains (chain)
    SELECT s.id::text FROM structures s WHERE EXISTS (SELECT 1 FROM journal_entries e WHERE e.chain = s.id::text) ON CONFLICT DO NOTHING`);
  const running = await createApp(loadConfig({ ...environment, LOG_LEVEL: 'silent' }));
  try {
    await running.app.get(JournalService).flush();
  } finally {
    await running.close();
  }
  out(`journal sealed (its Merkle tree built if missing) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function measure(base: string, meter: Meter): Promise<void> {
  const recorder = new Recorder();
  const aidants: Aidant[] = [];
  const t0 = performance.now();
  for (let i = 0; i < CLIENTS; i += 4) {
    await Promise.all(
      Array.from({ length: Math.min(4, CLIENTS - i) }, async (_, k) => {
        const aidant = new Aidant(`aidant${i + k}@bench.test`, new CounterBrowser(base, recorder.record));
        await signIn(base, aidant);
        aidants[i + k] = aidant;
      }),
    );
  }
  const referents = aidants.slice(0, REFERENTS);
  out(`${CLIENTS} aidants signed in through the form (password + TOTP) in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${referents.length} of them référents`);
  const counter: Counter = { base, aidants, referents, record: recorder.record, mandates: [] };

  // 1. One visit at a time: what each costs.
  out(`\none visit at a time (${SOLO} of each kind after 3 warm-ups; CPU from /proc, statements counted in the application's pg client):`);
  out('| visit | requests to the application | ms per visit (median) | application CPU ms | PostgreSQL backends CPU ms | statements | HTML kB |');
  out('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const { name, visit } of VISITS) {
    let requests = 0;
    let size = 0;
    const counting = (s: Sample) => {
      if (!s.app) return;
      requests++;
      size += s.size;
    };
    // The same sessions, counted here (a usager's browser, made during the visit, too); the aidants
    // take turns, as each TOTP code is accepted once.
    const actors = aidants.map((a) => {
      const actor = new Aidant(a.email, a.browser.recordingTo(counting));
      actor.freshCode = () => a.freshCode();
      return actor;
    });
    const solo: Counter = { ...counter, record: counting, mandates: counter.mandates, referents: counter.referents.map((r) => new Aidant(r.email, r.browser.recordingTo(counting))) };
    let turn = 0;
    const run = () => visit(solo, actors[turn++ % actors.length]!, async () => undefined);
    for (let i = 0; i < 3; i++) await run();
    requests = 0;
    size = 0;
    const times: number[] = [];
    const before = await meter.read();
    for (let i = 0; i < SOLO; i++) {
      const t = performance.now();
      await run();
      times.push(performance.now() - t);
    }
    const used = Meter.since(before, await meter.read());
    times.sort((a, b) => a - b);
    out(`| ${name} | ${(requests / SOLO).toFixed(1)} | ${percentile(times, 0.5).toFixed(1)} | ${((used.app * 1000) / SOLO).toFixed(1)} | ${((used.backends * 1000) / SOLO).toFixed(1)} | ${(used.statements / SOLO).toFixed(1)} | ${(size / SOLO / 1000).toFixed(0)} |`);
  }

  // 2. The counter: closed-loop clients at human pace.
  out(`\n${CLIENTS} clients for ${SECONDS} s, think time ${THINK_MS / 1000} s on average between pages (load average before ${load()}):`);
  let stop = false;
  const think: Think = () => sleep(THINK_MS * (0.5 + Math.random()));
  const visits = new Map<string, number>();
  const loop = async (me: Aidant) => {
    await sleep(Math.random() * THINK_MS);
    while (!stop) {
      const { name, visit } = pickVisit();
      try {
        await visit(counter, me, think);
        if (recorder.recording) visits.set(name, (visits.get(name) ?? 0) + 1);
      } catch (error) {
        recorder.fail(name, error);
      }
      await think();
    }
  };
  const clients = aidants.map((a) => loop(a));
  // Ramp-up: every client has started and the pools are warm before counting.
  await sleep(Math.max(THINK_MS * 2, 5000));
  recorder.recording = true;
  const before = await meter.read();
  const ownCpu = process.cpuUsage();
  // The application's connections, sampled every half second: a pool always fully busy would be the bottleneck.
  const states = new Map<string, number>();
  let samples = 0;
  const sampling = (async () => {
    while (recorder.recording) {
      for (const [state, n] of await meter.states()) states.set(state, (states.get(state) ?? 0) + n);
      samples++;
      await sleep(500);
    }
  })();
  await sleep(SECONDS * 1000);
  const after = await meter.read();
  const own = process.cpuUsage(ownCpu);
  recorder.recording = false;
  await sampling;
  const loadAtEnd = load();
  stop = true;
  await Promise.all(clients);
  const used = Meter.since(before, after);

  let appRequests = 0;
  let appErrors = 0;
  let pages = 0;
  const rows: string[] = [];
  for (const [route, { times, errors }] of [...recorder.routes].sort((a, b) => b[1].times.length - a[1].times.length)) {
    times.sort((a, b) => a - b);
    const app = !route.startsWith('simulator ');
    if (app) {
      appRequests += times.length;
      appErrors += errors;
      if (route.startsWith('GET ')) pages += times.length;
    }
    rows.push(
      `| ${route} | ${times.length} | ${(times.length / used.seconds).toFixed(1)} | ${percentile(times, 0.5).toFixed(0)} | ${percentile(times, 0.95).toFixed(0)} | ${percentile(times, 0.99).toFixed(0)} | ${times[times.length - 1]!.toFixed(0)} | ${errors} |`,
    );
  }
  out('| route | requests | per s | p50 ms | p95 ms | p99 ms | max ms | HTTP errors |');
  out('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) out(row);
  out(`visits completed: ${[...visits].map(([k, v]) => `${k} ${v}`).join(', ')}; visits failed: ${recorder.failures}`);
  for (const [note, n] of recorder.failureNotes) out(`  ${n} × ${note}`);
  out(
    `application: ${(appRequests / used.seconds).toFixed(1)} requests/s, of which ${(pages / used.seconds).toFixed(1)} pages/s (GET), ${appErrors} HTTP errors; ` +
      `CPU ${((used.app / used.seconds) * 100).toFixed(0)} % of a core for the process and ${((used.backends / used.seconds) * 100).toFixed(0)} % for the PostgreSQL backends; ` +
      `per request ${((used.app * 1000) / appRequests).toFixed(1)} ms + ${((used.backends * 1000) / appRequests).toFixed(1)} ms CPU and ${(used.statements / appRequests).toFixed(1)} statements`,
  );
  out(`the application's database connections on average: ${[...states].map(([state, n]) => `${(n / samples).toFixed(1)} ${state}`).join(', ')}`);
  out(`this process (clients and FranceConnect simulator): CPU ${(((own.user + own.system) / 1e6 / used.seconds) * 100).toFixed(0)} % of a core; load average at end ${loadAtEnd}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(2);
  },
);
