/**
 * Supervision benchmark (docs/benchmarks.md, section Supervision); not a test.
 * On a PostgreSQL server (default the local one), in a throwaway database
 * whose name contains `bench`, dropped afterwards unless `--keep-database`:
 *   1. starts the real application on it (migrations included) and loads,
 *      with COPY (bench-data.ts), structures, aidants, usagers, mandates and
 *      journal entries (the hashes are not a valid chain: nothing here
 *      verifies them), the measured structure with a larger chain;
 *   2. signs in its référente through the real form (password + TOTP) and
 *      measures, at the service and over loopback HTTP, p50/p95 of the first
 *      and the 100th page of a search per filter and of the dashboard, then
 *      the export throughput (rows/s, CPU time, RSS) of the measured
 *      structure's whole chain in CSV and JSON Lines.
 *
 *   npm run bench:supervision [-- --structures 1000 --entries 10000000 --large 200000 --runs 50 --keep-database]
 *   npm run bench:supervision -- --reuse procuration_supervision_bench_<time>
 */
import 'reflect-metadata';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { Secret, TOTP } from 'otpauth';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../config/config.js';
import { USE_COUNTS_BACKFILL } from '../../migrations/1765100000000-journal-use-counts.js';
import { USAGER_NAME_WORDS_BACKFILL } from '../../migrations/1765300000001-usager-name-words.js';
import { createApp, type RunningApp } from '../../src/app.factory.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import type { AidantActor } from '../../src/aidants/aidant-actor.js';
import { KnownAccounts } from '../../src/seed/accounts.js';
import { benchId, generateBenchData, type BenchStructure } from './bench-data.js';
import { DashboardService } from '../../src/supervision/dashboard.service.js';
import type { DownloadSink } from '../../src/supervision/journal-download.js';
import { JournalExportService } from '../../src/supervision/journal-export.service.js';
import { SupervisionJournalService } from '../../src/supervision/supervision-journal.service.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { adminQuery } from '../../src/shared/admin-query.js';
import { freeLoopbackPort } from '../../src/shared/loopback.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    structures: { type: 'string', default: '1000' },
    entries: { type: 'string', default: '10000000' },
    /** Entries of the measured structure (included in `entries`). */
    large: { type: 'string', default: '200000' },
    runs: { type: 'string', default: '50' },
    'keep-database': { type: 'boolean', default: false },
    /** Keep NODE_ENV=test's recompilation of templates on every request (by default they are cached, as in production). */
    'recompile-templates': { type: 'boolean', default: false },
    /** Measure on a database kept by an earlier run (`--keep-database`), without generating. */
    reuse: { type: 'string' },
  },
});
const STRUCTURES = Number(values.structures);
const ENTRIES = Number(values.entries);
const LARGE = Number(values.large);
const RUNS = Number(values.runs);
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const PASSWORD = 'Procuration-bench-2026';
const HARD_LIMIT_MS = 60 * 60_000;
const out = (line: string) => process.stdout.write(`${line}\n`);
const mb = (n: number) => `${Math.round(n / 1048576)} MB`;


function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function timedGets(base: string, path: string, cookie: string, runs: number): Promise<string> {
  return timedCalls(async () => {
    const res = await fetch(`${base}${path}`, { headers: { cookie } });
    await res.text();
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
  }, runs);
}

/** p50/p95 of `runs` calls after 5 warm-ups, with this process's CPU time per call (the load average is printed apart). */
async function timedCalls(call: () => Promise<unknown>, runs: number): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) await call();
  const cpu = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await call();
    times.push(performance.now() - t0);
  }
  const used = process.cpuUsage(cpu);
  times.sort((a, b) => a - b);
  return `p50 ${percentile(times, 0.5).toFixed(1)} ms, p95 ${percentile(times, 0.95).toFixed(1)} ms (CPU ${((used.user + used.system) / 1000 / runs).toFixed(1)} ms/call)`;
}

/** Signs in through the real form; returns the session cookie. */
async function signIn(base: string, email: string): Promise<string> {
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [name, ...rest] = pair!.split('=');
      jar.set(name!, rest.join('='));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const form = await fetch(`${base}/aidant/connexion`);
  keep(form);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const totp = TOTP.generate({ secret: Secret.fromBase32(SECRET), period: 30, digits: 6 });
  const res = await fetch(`${base}/aidant/connexion`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email, password: PASSWORD, totp }).toString(),
  });
  keep(res);
  if (res.status !== 303) throw new Error(`sign-in failed: HTTP ${res.status}`);
  return cookie();
}

/** Throughput of an export over HTTP (client in this process) or at the service (into a sink), with RSS sampled every 100 ms. */
async function exportThroughput(format: 'csv' | 'jsonl', rows: number, run: () => Promise<number>): Promise<string> {
  const rss: number[] = [];
  const before = process.memoryUsage().rss;
  const sample = setInterval(() => rss.push(process.memoryUsage().rss), 100);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const bytes = await run();
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  clearInterval(sample);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const quarter = (q: number) => rss[Math.min(rss.length - 1, Math.floor((rss.length * q) / 4))] ?? before;
  return `${format}: ${rows} rows, ${Math.round(bytes / 1048576)} MB in ${seconds.toFixed(1)} s = ${Math.round(rows / seconds)} rows/s ` +
    `(process CPU ${cpuSeconds.toFixed(1)} s = ${Math.round(rows / cpuSeconds)} rows per CPU second; load ${loadavg()[0]!.toFixed(1)}); ` +
    `RSS before ${mb(before)}, at 25/50/75/100 % ${[1, 2, 3, 4].map((q) => mb(quarter(q))).join(' / ')}, peak ${mb(Math.max(before, ...rss))}`;
}

async function httpExport(base: string, cookie: string, format: 'csv' | 'jsonl'): Promise<number> {
  const res = await fetch(`${base}/structure/journal/export?format=${format}`, { headers: { cookie } });
  let bytes = 0;
  for await (const chunk of res.body!) bytes += (chunk as Uint8Array).length;
  return bytes;
}

/** The export service writing into a sink that takes everything at once (no HTTP, no client). */
async function serviceExport(exporter: JournalExportService, actor: AidantActor, format: 'csv' | 'jsonl'): Promise<number> {
  let bytes = 0;
  const sink: DownloadSink = {
    begin: () => undefined,
    write: async (chunk) => {
      bytes += Buffer.byteLength(chunk);
      return true;
    },
    end: () => undefined,
    abort: () => undefined,
  };
  await exporter.export(actor, actor.structureId, { format }, { ip: '127.0.0.1', userAgent: 'bench', requestId: null }, sink);
  return bytes;
}

async function main() {
  Logger.overrideLogger(false);
  const name = values.reuse ?? `procuration_supervision_bench_${Date.now()}`;
  if (!/^procuration_supervision_bench_\d+$/.test(name)) throw new Error('--reuse takes the name of a benchmark database');
  const url = new URL(values.server!);
  url.pathname = `/${name}`;
  const timer = setTimeout(() => {
    out('hard time limit reached');
    process.exit(3);
  }, HARD_LIMIT_MS);
  out(`database ${name}${values.reuse ? ' (reused)' : ''}; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (!values.reuse) await adminQuery(values.server!, `CREATE DATABASE ${name}`);
  let running: RunningApp | undefined;
  try {
    const booted = performance.now();
    // The service answers only requests addressed to its PUBLIC_URL: a port chosen before start.
    const port = await freeLoopbackPort();
    const config = loadConfig({
      NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, FC_SIMULATOR_PORT: '0', DATABASE_URL: url.toString(),
    });
    running = await createApp(config);
    await running.app.listen(port, '127.0.0.1');
    if (!values['recompile-templates']) {
      // Production caches compiled templates; NODE_ENV=test recompiles them on every request.
      const views = running.app.getHttpAdapter().getInstance().get('nunjucksEnv') as { loaders: Array<{ noCache: boolean }> };
      for (const loader of views.loaders) loader.noCache = false;
    }
    out(`application started (migrations included) in ${((performance.now() - booted) / 1000).toFixed(1)} s`);
    const base = `http://127.0.0.1:${port}`;
    const known = new KnownAccounts(running.app);
    const structure = await running.app.get(TransactionRunner).run(async (m) =>
      (await known.structure(m, { name: 'Médiathèque de Vesoul', siret: '21700550300016', type: 'mediatheque', address: '1 place de la Mairie' })).structure,
    );
    const aidants: string[] = [];
    for (let i = 0; i < 5; i++) {
      aidants.push(
        await running.app.get(TransactionRunner).run(async (m) =>
          (await known.aidant(m, {
            email: `aidant${i}@bench.test`, givenName: 'Aidant', familyName: `N${i}`, password: PASSWORD, totpSecret: SECRET,
            memberships: [{ structureId: structure.id, roles: i === 0 ? ['aidant', 'referent'] : ['aidant'] }],
          })).id,
        ),
      );
    }
    const dataSource = running.app.get(DataSource);
    if (!values.reuse) await generate(url.toString(), dataSource, structure.id, aidants);
    await measure(running, base, dataSource, structure, aidants);
  } finally {
    clearTimeout(timer);
    await running?.close();
    if (!values['keep-database'] && !values.reuse) await adminQuery(values.server!, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

/** The searches measured: the issue's filters one by one (a name and a mandate of the measured structure). */
function searches(): Array<{ label: string; query: Record<string, string>; deep: boolean }> {
  const month = new Date(Date.now() - 100 * 86_400_000).toISOString().slice(0, 7);
  return [
    { label: 'action + démarche', query: { action: 'autorisation.used', demarche: 'logement' }, deep: true },
    { label: 'period (one month)', query: { du: `${month}-01`, au: `${month}-28` }, deep: true },
    { label: 'aidant', query: { aidant: '' }, deep: true },
    { label: 'partner', query: { partenaire: 'caf-demo' }, deep: true },
    { label: 'action only', query: { action: 'aidant.signed_in' }, deep: true },
    { label: 'usager name + birthdate', query: { usager: 'Jean Martin', naissance: '1940-01-01' }, deep: false },
    // One usager in 12 of the database is a Jean Martin: too common to go from the name, read from the chain's usagers.
    { label: 'usager name only, very common', query: { usager: 'Jean Martin' }, deep: false },
    { label: 'mandate', query: { mandat: benchId('mandate', 0, 1) }, deep: false },
  ];
}

async function measure(running: RunningApp, base: string, dataSource: DataSource, structure: { id: string; name: string }, aidants: string[]) {
  const cookie = await signIn(base, 'aidant0@bench.test');
  const actor: AidantActor = {
    aidantId: aidants[0]!, structureId: structure.id, structureName: structure.name, roles: ['aidant', 'referent'],
    canOpenMandates: true, isReferent: true, givenName: 'Aidant', familyName: 'N0', totpAt: Date.now(), usableStructures: 1,
  };
  const journal = running.app.get(SupervisionJournalService);
  const templates = values['recompile-templates'] ? 'templates recompiled on every request as NODE_ENV=test does' : 'templates cached as in production';
  out(`measured: HTTP = GET over loopback with the référente's session (${templates}); service = the service method called in-process (database and shaping, no session, guard or template); ${RUNS} runs after 5 warm-ups`);
  for (const { label, query: raw, deep } of searches()) {
    const query = { ...raw, taille: '50' };
    if ('aidant' in query) query.aidant = aidants[1]!;
    out(`search ${label} (${new URLSearchParams(query).toString()}):`);
    out(`  page 1:   service ${await timedCalls(() => journal.search(actor, structure.id, query, null), RUNS)}; HTTP ${await timedGets(base, `/structure/journal?${new URLSearchParams(query).toString()}`, cookie, RUNS)}`);
    if (!deep) continue;
    let cursor: string | null = null;
    for (let i = 1; i < 100 && (i === 1 || cursor); i++) {
      const next = await journal.search(actor, structure.id, query, cursor);
      cursor = /apres=([^&]+)/.exec(next.nextLink ?? '')?.[1] ?? null;
    }
    if (!cursor) {
      out('  page 100: fewer than 100 pages');
      continue;
    }
    const after = decodeURIComponent(cursor);
    out(`  page 100: service ${await timedCalls(() => journal.search(actor, structure.id, query, after), RUNS)}; HTTP ${await timedGets(base, `/structure/journal?${new URLSearchParams({ ...query, apres: after }).toString()}`, cookie, RUNS)}`);
  }
  // The same name search in a structure of the issue's average size (10,000 entries, 500 usagers), at the service.
  const [average] = (await dataSource.query(`SELECT id, name FROM structures WHERE id = $1`, [benchId('structure', 1, 0)])) as { id: string; name: string }[];
  if (average) {
    const referent: AidantActor = { ...actor, aidantId: benchId('aidant', 1, 0), structureId: average.id, structureName: average.name };
    const byName = { usager: 'Jean Martin', naissance: '1940-01-01', taille: '50' };
    out(`search usager name + birthdate in a structure of average size: service ${await timedCalls(() => journal.search(referent, average.id, byName, null), RUNS)}`);
  }
  const dashboard = running.app.get(DashboardService);
  out(`dashboard: service ${await timedCalls(() => dashboard.overview(actor, structure.id), RUNS)}; HTTP ${await timedGets(base, '/structure', cookie, RUNS)}`);
  const exporter = running.app.get(JournalExportService);
  // Each export appends `journal.exported`: the chain is counted again before each.
  const entries = async () => {
    await running.app.get(JournalService).flush();
    const [{ rows }]: { rows: string }[] = await dataSource.query(`SELECT count(*) AS rows FROM journal_entries WHERE chain = $1`, [structure.id]);
    return Number(rows);
  };
  out(`export of the measured structure's whole chain (${await entries()} entries; JSON Lines rows include the checkpoint signed for it):`);
  for (const format of ['csv', 'jsonl'] as const) {
    const rows = async () => (await entries()) + (format === 'jsonl' ? 1 : 0);
    // Three runs at the service: the machine's load moves the wall-clock figures a lot from one run to the next.
    for (let run = 1; run <= 3; run++) out(`  service, run ${run}: ${await exportThroughput(format, await rows(), () => serviceExport(exporter, actor, format))}`);
    out(`  HTTP, client in the same process: ${await exportThroughput(format, await rows(), () => httpExport(base, cookie, format))}`);
  }
  out(`load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}; process CPU ${cpuSeconds()}`);
}

async function generate(url: string, dataSource: DataSource, structureId: string, aidants: string[]) {
  // The seeding journaled a few entries: the measured chain continues after them.
  await new Promise((r) => setTimeout(r, 1500));
  const started = performance.now();
  const [{ head }]: { head: string }[] = await dataSource.query(`SELECT coalesce(max(seq), 0) AS head FROM journal_entries WHERE chain = $1`, [structureId]);
  const perOther = STRUCTURES > 1 ? Math.floor((ENTRIES - LARGE) / (STRUCTURES - 1)) : 0;
  const structures: BenchStructure[] = [{ index: 0, id: structureId, aidantIds: aidants, entries: LARGE, after: Number(head) }];
  for (let index = 1; index < STRUCTURES; index++) {
    structures.push({
      index, id: benchId('structure', index, 0), entries: perOther, after: 0,
      aidantIds: [0, 1, 2, 3, 4].map((i) => benchId('aidant', index, i)),
    });
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await generateBenchData(client, structures, out);
    // The database counts uses as they are appended; what was copied in bulk is counted here, as the migration's backfill does.
    const [{ kept }] = (await client.query<{ kept: boolean }>(`SELECT to_regclass('journal_use_counts') IS NOT NULL AS kept`)).rows;
    if (kept) {
      await client.query(`DELETE FROM journal_use_counts`);
      await client.query(USE_COUNTS_BACKFILL);
    }
    // Likewise the folded words of the usagers' names, which a trigger keeps for usagers written one by one.
    const [{ words }] = (await client.query<{ words: boolean }>(`SELECT to_regclass('usager_name_words') IS NOT NULL AS words`)).rows;
    if (words) {
      await client.query(`DELETE FROM usager_name_words`);
      await client.query(USAGER_NAME_WORDS_BACKFILL);
      await client.query(`ANALYZE usager_name_words`);
    }
  } finally {
    await client.end();
  }
  const [{ total }]: { total: string }[] = await dataSource.query(`SELECT count(*) AS total FROM journal_entries`);
  const [{ mandates }]: { mandates: string }[] = await dataSource.query(`SELECT count(*) AS mandates FROM mandates`);
  out(`generated ${total} entries over ${STRUCTURES} structures (measured structure: ${LARGE + Number(head)}) and ${mandates} mandates in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function cpuSeconds(): string {
  const { user, system } = process.cpuUsage();
  return `${(user / 1e6).toFixed(1)} s user + ${(system / 1e6).toFixed(1)} s system`;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(2);
  },
);
