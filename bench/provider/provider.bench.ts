/**
 * Provider benchmark (docs/benchmarks.md, section Provider); not a test.
 * On a PostgreSQL server (default the local one), in a throwaway database
 * `procuration_bench_<time>` dropped at the end:
 *   1. starts the real application (as `createApp` does, NODE_ENV=production
 *      with throwaway secrets), seeds a structure, aidants with an
 *      authenticator app, a usager with a live mandate for `logement` and a
 *      partner (client_secret_basic), and signs every aidant in through the
 *      real form (password + TOTP, so the TOTP is fresh for the run);
 *   2. starts a bare oidc-provider with its in-memory adapter whose
 *      interaction signs in at once (the ceiling), on the same machine, and
 *      the same bare provider on our PostgreSQL adapter (what storage alone
 *      costs);
 *   3. measures, from a worker thread, complete partner sign-ins per second
 *      (authorize → interaction → code → token → userinfo, PKCE S256) and
 *      userinfo calls per second at each concurrency, against both, one right
 *      after the other, with p50/p99, load average and the process's CPU time.
 *
 *   npm run bench:provider [-- --seconds 10 --concurrency 1,8,32 --server postgres://… --keep-database]
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { Secret, TOTP } from 'otpauth';
import pg from 'pg';
import { loadConfig } from '../../config/config.js';
import { createApp, type RunningApp } from '../../src/app.factory.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { simulatorClientFrom, startFcSimulator, type FcSimulator } from '../../src/fc-simulator/fc-simulator.js';
import { MandateOpeningService } from '../../src/mandates/mandate-opening.service.js';
import { PartnersService } from '../../src/partners/partners.service.js';
import { KnownAccounts } from '../../src/seed/accounts.js';
import { DataSource } from 'typeorm';
import { UsagersService } from '../../src/usagers/usagers.service.js';
import { newBrowser, signInOnce, type BenchTarget, type Measurement, type MeasurementResult, type StepTime } from './bench-client.js';
import { PostgresAdapter } from '../../src/provider/provider.adapter.js';
import { startCeiling, type Ceiling } from './ceiling.js';
import { adminQuery } from '../../src/shared/admin-query.js';
import { backendCpu, cpuSecondsSince } from '../support/backend-cpu.js';
import { freeLoopbackPort } from '../../src/shared/loopback.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '1,8,32' },
    /** `signin`, `userinfo` or both (comma-separated), e.g. to profile one of them. */
    kinds: { type: 'string', default: 'signin,userinfo' },
    /** Which of `procuration`, `bare-pg`, `ceiling` to measure (comma-separated; the tables need all three), e.g. to profile one. */
    targets: { type: 'string', default: 'procuration,bare-pg,ceiling' },
    'keep-database': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds);
const LEVELS = values.concurrency!.split(',').map(Number);
const TARGETS = new Set(values.targets!.split(','));
const KINDS = values.kinds!.split(',').filter((k): k is Measurement['kind'] => k === 'signin' || k === 'userinfo');
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const PASSWORD = 'Procuration-bench-2026';
const REDIRECT_URI = 'https://partenaire.bench.invalid/callback';
const SCOPE = 'openid given_name family_name preferred_username birthdate gender birthplace birthcountry email';
const HARD_LIMIT_MS = 15 * 60_000;
const out = (line: string) => process.stdout.write(`${line}\n`);



const secret = (bytes = 32) => randomBytes(bytes).toString('base64url');

/**
 * Production mode (templates compiled once, as in service) with throwaway
 * secrets. FranceConnect is never called during the measurements, but a
 * production start checks its discovery document and key set: the
 * simulator, idle in this process, answers that check.
 */
function benchConfig(databaseUrl: string, port: number, franceConnect: { issuer: string; clientId: string; clientSecret: string }) {
  return loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '20',
    SESSION_SECRET: secret(),
    FC_ISSUER: franceConnect.issuer,
    FC_CLIENT_ID: franceConnect.clientId,
    FC_CLIENT_SECRET: franceConnect.clientSecret,
    FC_SUB_KEY: secret(),
    KEYS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    TOTP_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    PROVIDER_PAIRWISE_KEY: secret(),
  });
}

interface Seeded {
  aidantEmails: string[];
  clientId: string;
  clientSecret: string;
}

/** A structure, `aidants` habilitated aidants, one usager with a live mandate for `logement`, one partner. */
async function seed(running: RunningApp, aidants: number): Promise<Seeded> {
  const app = running.app;
  const tx = app.get(TransactionRunner);
  const known = new KnownAccounts(app);
  const structure = await tx.run(async (m) =>
    (await known.structure(m, { name: 'Médiathèque de Vesoul', siret: '21700550300016', type: 'mediatheque', address: '1 place de la Mairie' })).structure,
  );
  const emails: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < aidants; i++) {
    const email = `aidant${i}@bench.test`;
    emails.push(email);
    ids.push(
      await tx.run(async (m) =>
        (await known.aidant(m, {
          email, givenName: 'Aidant', familyName: `N${i}`, password: PASSWORD, totpSecret: SECRET,
          memberships: [{ structureId: structure.id, roles: ['aidant'] }],
        })).id,
      ),
    );
  }
  const usagerId = await tx.run(async (m) =>
    (await app.get(UsagersService).upsertFromIdentity(
      m,
      {
        sub: `${randomBytes(32).toString('hex')}v1`, givenName: 'Angela Claire Louise', familyName: 'Dubois', birthdate: '1962-08-24',
        gender: 'female', birthplace: '75107', birthcountry: '99100', email: 'angela@example.fr', acr: 'eidas1',
        idTokenHash: 'A'.repeat(43), idToken: '',
      },
      { actor: { type: 'system', id: null }, structureId: null },
    )).id,
  );
  await tx.run((m) =>
    app.get(MandateOpeningService).open(m, {
      aidantId: ids[0]!, structureId: structure.id, usagerId,
      choice: { demarches: ['logement'], duration: 'mois' },
      consent: { kind: 'franceconnect', acr: 'eidas1', authTime: Math.floor(Date.now() / 1000), idTokenHash: 'A'.repeat(43) },
      submissionId: randomUUID(), declaredAt: new Date(), totpConfirmedAt: new Date(),
    }),
  );
  const { partner, secret: clientSecret } = await tx.run((m) =>
    app.get(PartnersService).register(
      m,
      { name: 'Service logement (banc d’essai)', authMethod: 'client_secret_basic', redirectUris: [REDIRECT_URI], demarches: ['logement'], scopes: SCOPE.split(' ') },
      { type: 'operator', id: 'bench' },
    ),
  );
  return { aidantEmails: emails, clientId: partner.clientId, clientSecret: clientSecret! };
}

/** Signs an aidant in through the real form (password + a TOTP code of now); returns the browser's cookies. */
async function signInAidant(base: string, email: string): Promise<Record<string, string>> {
  const jar: Record<string, string> = {};
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0]!;
      const eq = pair.indexOf('=');
      jar[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  };
  const cookie = () => Object.entries(jar).map(([k, v]) => `${k}=${v}`).join('; ');
  const form = await fetch(`${base}/aidant/connexion`);
  keep(form);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!csrf) throw new Error('no CSRF token on the sign-in form');
  const totp = TOTP.generate({ secret: Secret.fromBase32(SECRET), period: 30, digits: 6 });
  const res = await fetch(`${base}/aidant/connexion`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email, password: PASSWORD, totp }).toString(),
  });
  keep(res);
  if (res.status !== 303) throw new Error(`aidant sign-in failed: HTTP ${res.status}`);
  return { ...jar };
}

async function discover(issuer: string, path = '/.well-known/openid-configuration') {
  const res = await fetch(`${issuer}${path}`);
  if (res.status !== 200) throw new Error(`discovery of ${issuer}: HTTP ${res.status}`);
  return (await res.json()) as { authorization_endpoint: string; token_endpoint: string; userinfo_endpoint: string; jwks_uri: string; issuer: string };
}

/** One flow checked the way a partner library would: ID token signature, issuer, audience, nonce-free claims. */
async function check(target: BenchTarget, jwksUri: string, issuer: string): Promise<void> {
  const { tokens, userinfo } = await signInOnce(target, newBrowser(target, 0));
  const { payload } = await jwtVerify(tokens.idToken, createRemoteJWKSet(new URL(jwksUri)), {
    issuer,
    audience: target.clientId,
    algorithms: ['ES256'],
  });
  if (payload.demarche !== 'logement' || typeof payload.act !== 'object' || payload.sub !== userinfo.sub) {
    throw new Error(`${target.name}: unexpected claims`);
  }
  if (userinfo.demarche !== 'logement' || userinfo.given_name !== 'Angela Claire Louise') throw new Error(`${target.name}: unexpected userinfo`);
}

interface Row {
  kind: Measurement['kind'];
  target: string;
  concurrency: number;
  result: MeasurementResult;
  /** This process (servers and the load's worker thread). */
  cpuSeconds: number;
  /** The PostgreSQL server processes serving the benchmark's database. */
  dbCpuSeconds: number;
  statements: number;
  load: [number, number];
}

/**
 * Statements sent to PostgreSQL by this process (the app, its journal
 * sequencer and the bare provider on our adapter): round trips per operation
 * do not depend on how loaded the machine is, unlike rates and CPU time.
 */
let statements = 0;
function countStatements(): void {
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    statements += 1;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as unknown as typeof original;
}


interface Counters {
  load: number;
  cpu: NodeJS.CpuUsage;
  db: Map<number, number>;
  statements: number;
}

/** Runs one measurement in a worker; `start` is called once its lanes are ready, just before the clock starts. */
function inWorker(measurement: Measurement, start: () => Promise<void>): Promise<MeasurementResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./bench-client.js', import.meta.url), {
      workerData: { role: 'provider-bench-client', measurement },
    });
    worker.on('message', (message: { ready?: true; result?: MeasurementResult; error?: string }) => {
      if (message.ready) void start().then(() => worker.postMessage('go'), reject);
      else {
        void worker.terminate(); // its idle keep-alive connections would hold it
        if (message.result) resolve(message.result);
        else reject(new Error(message.error));
      }
    });
    worker.once('error', reject);
  });
}

async function counters(db: { dataSource: DataSource; name: string }): Promise<Counters> {
  const cpu = await backendCpu((sql, p) => db.dataSource.query(sql, p), db.name);
  return { load: loadavg()[0]!, cpu: process.cpuUsage(), db: cpu, statements };
}

async function run(measurement: Measurement, db: { dataSource: DataSource; name: string }): Promise<Row> {
  let before: Counters | undefined;
  const result = await inWorker(measurement, async () => {
    before = await counters(db);
  });
  const cpu = process.cpuUsage(before!.cpu);
  const sent = statements - before!.statements;
  const after = await counters(db);
  const dbCpuSeconds = cpuSecondsSince(before!.db, after.db);
  const row: Row = {
    kind: measurement.kind,
    target: measurement.target.name,
    concurrency: measurement.concurrency,
    result,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    dbCpuSeconds,
    statements: sent,
    load: [before!.load, after.load],
  };
  out(
    `  ${row.kind} ${row.target} ×${row.concurrency}: ${result.perSecond.toFixed(1)}/s (${result.completed} in ${result.wallSeconds.toFixed(1)} s, ` +
      `${result.failed} failed${result.firstError ? `: ${result.firstError}` : ''}), p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, ` +
      `CPU ${row.cpuSeconds.toFixed(1)} s + database ${dbCpuSeconds.toFixed(1)} s (${cpuMsPer(row).toFixed(1)} ms per operation), ` +
      `${perOperation(row).toFixed(1)} statements per operation, load ${row.load[0].toFixed(1)} → ${row.load[1].toFixed(1)}`,
  );
  return row;
}

/** CPU milliseconds (this process and the database's backends) per completed operation: steadier than rates on a shared machine. */
function cpuMsPer(row: Row): number {
  return ((row.cpuSeconds + row.dbCpuSeconds) * 1000) / Math.max(1, row.result.completed);
}

/**
 * The best ratio to the ceiling a target could reach on this machine: all
 * its cores busy with that target alone, at its CPU per operation (the
 * servers, the load's worker and PostgreSQL's backends), against the
 * ceiling's measured rate. Unlike the rate, it does not move with latency
 * or with how well a run fills the cores: below 0.5, half the ceiling's rate
 * is out of that target's reach however it is tuned.
 */
function cpuBound(row: Row, ceiling: Row): number {
  return (cpus().length * 1000) / cpuMsPer(row) / ceiling.result.perSecond;
}

function perOperation(row: Row): number {
  return row.statements / Math.max(1, row.result.completed);
}

function table(rows: Row[], kind: Measurement['kind'], title: string): void {
  const find = (c: number, target: string) => rows.find((r) => r.kind === kind && r.concurrency === c && r.target === target)!;
  const cell = (r: Row) => `${r.result.perSecond.toFixed(1)} | ${r.result.p50Ms.toFixed(1)} ms | ${r.result.p99Ms.toFixed(1)} ms`;
  out('');
  out(title);
  out('');
  out('| concurrency | Procuration /s | p50 | p99 | bare on our adapter /s | p50 | p99 | ceiling /s | p50 | p99 | ratio to ceiling | ratio to bare on our adapter | CPU ms per operation (ours / bare-pg / ceiling) | CPU bound on the ratio (ours / bare-pg) | statements per operation (ours / bare-pg) | load average |');
  out('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const c of LEVELS) {
    const [ours, pgBare, top] = [find(c, 'procuration'), find(c, 'bare-pg'), find(c, 'ceiling')];
    out(
      `| ${c} | ${cell(ours)} | ${cell(pgBare)} | ${cell(top)} | ${(ours.result.perSecond / top.result.perSecond).toFixed(2)} | ` +
        `${(ours.result.perSecond / pgBare.result.perSecond).toFixed(2)} | ${cpuMsPer(ours).toFixed(1)} / ${cpuMsPer(pgBare).toFixed(1)} / ${cpuMsPer(top).toFixed(1)} | ` +
        `${cpuBound(ours, top).toFixed(2)} / ${cpuBound(pgBare, top).toFixed(2)} | ` +
        `${perOperation(ours).toFixed(1)} / ${perOperation(pgBare).toFixed(1)} | ` +
        `${ours.load[0].toFixed(1)}-${top.load[1].toFixed(1)} |`,
    );
  }
}

/**
 * Where a sign-in's time goes: each HTTP step's median per target (steps a
 * target does not have are blank), at each concurrency.
 */
function stepTable(rows: Row[]): void {
  out('');
  out('Median time of each step of a complete sign-in (request sent → answer read), ms');
  out('');
  out('| concurrency | step | Procuration | bare on our adapter | ceiling |');
  out('| ---: | --- | ---: | ---: | ---: |');
  for (const c of LEVELS) {
    const of = (target: string) => rows.find((r) => r.kind === 'signin' && r.concurrency === c && r.target === target)?.result.steps ?? [];
    const [ours, pgBare, top] = [of('procuration'), of('bare-pg'), of('ceiling')];
    const cell = (steps: StepTime[], step: string) => steps.find((s) => s.step === step)?.p50Ms.toFixed(2) ?? '';
    for (const { step } of ours.length > 0 ? ours : top) out(`| ${c} | ${step} | ${cell(ours, step)} | ${cell(pgBare, step)} | ${cell(top, step)} |`);
  }
}

async function main() {
  Logger.overrideLogger(false);
  countStatements();
  const name = `procuration_bench_${Date.now()}`;
  const url = new URL(values.server!);
  url.pathname = `/${name}`;
  const timer = setTimeout(() => {
    out('hard time limit reached');
    process.exit(3);
  }, HARD_LIMIT_MS);
  const began = performance.now();
  const cpuBegan = process.cpuUsage();
  out(`provider benchmark: ${cpus().length} cores, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  await adminQuery(values.server!, `CREATE DATABASE ${name}`);
  let running: RunningApp | undefined;
  let ceiling: Ceiling | undefined;
  let ceilingOnPg: Ceiling | undefined;
  let simulator: FcSimulator | undefined;
  try {
    const port = await freeLoopbackPort();
    const franceConnect = { clientId: 'procuration-bench', clientSecret: secret() };
    simulator = await startFcSimulator({
      port: 0,
      nodeEnv: 'development',
      clients: [simulatorClientFrom({ publicUrl: `http://127.0.0.1:${port}`, franceConnect })],
    });
    running = await createApp(benchConfig(url.toString(), port, { ...franceConnect, issuer: simulator.issuer }));
    await running.app.listen(port, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    const lanes = Math.max(...LEVELS);
    const seeded = await seed(running, lanes);
    const browsers: Record<string, string>[] = [];
    for (const email of seeded.aidantEmails) browsers.push(await signInAidant(base, email));
    const ours = await discover(base);
    const procuration: BenchTarget = {
      name: 'procuration',
      authorizationEndpoint: ours.authorization_endpoint,
      tokenEndpoint: ours.token_endpoint,
      userinfoEndpoint: ours.userinfo_endpoint,
      clientId: seeded.clientId,
      clientSecret: seeded.clientSecret,
      redirectUri: REDIRECT_URI,
      scope: SCOPE,
      interaction: 'procuration',
      browsers,
    };
    ceiling = await startCeiling(await freeLoopbackPort(), REDIRECT_URI);
    const bare = await discover(ceiling.issuer);
    const top: BenchTarget = {
      name: 'ceiling',
      authorizationEndpoint: bare.authorization_endpoint,
      tokenEndpoint: bare.token_endpoint,
      userinfoEndpoint: bare.userinfo_endpoint,
      clientId: ceiling.clientId,
      clientSecret: ceiling.clientSecret,
      redirectUri: REDIRECT_URI,
      scope: SCOPE,
      interaction: 'ceiling',
      browsers: [],
    };
    const dataSource = running.app.get(DataSource);
    ceilingOnPg = await startCeiling(await freeLoopbackPort(), REDIRECT_URI, (model: string) => new PostgresAdapter(model, dataSource));
    const barePg = await discover(ceilingOnPg.issuer);
    const topPg: BenchTarget = {
      ...top,
      name: 'bare-pg',
      authorizationEndpoint: barePg.authorization_endpoint,
      tokenEndpoint: barePg.token_endpoint,
      userinfoEndpoint: barePg.userinfo_endpoint,
      clientId: ceilingOnPg.clientId,
      clientSecret: ceilingOnPg.clientSecret,
    };
    await check(procuration, ours.jwks_uri, ours.issuer);
    await check(topPg, barePg.jwks_uri, barePg.issuer);
    await check(top, bare.jwks_uri, bare.issuer);
    out(`setup done in ${((performance.now() - began) / 1000).toFixed(1)} s (${lanes} aidants signed in with password + TOTP); ${SECONDS} s per measurement`);
    const rows: Row[] = [];
    for (const concurrency of LEVELS) {
      for (const kind of KINDS) {
        for (const target of [procuration, topPg, top].filter((t) => TARGETS.has(t.name))) rows.push(await run({ kind, target, concurrency, seconds: SECONDS }, { dataSource, name }));
      }
    }
    const complete = ['procuration', 'bare-pg', 'ceiling'].every((t) => TARGETS.has(t));
    if (complete && KINDS.includes('signin')) table(rows, 'signin', 'Complete partner sign-ins per second (authorize → interaction → code → token → userinfo)');
    if (KINDS.includes('signin')) stepTable(rows);
    if (complete && KINDS.includes('userinfo')) table(rows, 'userinfo', 'Userinfo calls per second');
    const cpu = process.cpuUsage(cpuBegan);
    out('');
    out(
      `whole run: ${((performance.now() - began) / 1000).toFixed(1)} s wall, process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, ` +
        `load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    );
  } finally {
    clearTimeout(timer);
    await ceiling?.close();
    await ceilingOnPg?.close();
    await running?.close();
    await simulator?.close();
    if (!values['keep-database']) await adminQuery(values.server!, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    out(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
