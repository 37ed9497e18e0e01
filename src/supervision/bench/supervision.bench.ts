/**
 * Supervision benchmark (docs/benchmarks.md, section Supervision); not a test.
 * On a PostgreSQL server (default the local one), in a throwaway database
 * whose name contains `bench`, dropped afterwards:
 *   1. generates journal entries over many structures directly in SQL (the
 *      hashes are not a valid chain: nothing here verifies them), one
 *      structure (the measured one) with a larger chain;
 *   2. starts the real application on that database, signs in its référente
 *      through the real form (password + TOTP) and, over loopback HTTP:
 *      p50/p95 of the first and the 100th page of a filtered journal search,
 *      of the dashboard, and the export throughput (rows/s, peak RSS) of the
 *      measured structure's whole chain in CSV and JSON Lines.
 *
 *   npm run bench:supervision [-- --structures 200 --entries 2000000 --large 300000 --runs 100]
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { Secret, TOTP } from 'otpauth';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../../config/config.js';
import { createApp, type RunningApp } from '../../app.factory.js';
import { TransactionRunner } from '../../database/transaction-runner.js';
import type { AidantActor } from '../../aidants/aidant-actor.js';
import { KnownAccounts } from '../../seed/accounts.js';
import { DashboardService } from '../dashboard.service.js';
import { SupervisionJournalService } from '../supervision-journal.service.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    structures: { type: 'string', default: '200' },
    entries: { type: 'string', default: '2000000' },
    /** Entries of the measured structure (included in `entries`). */
    large: { type: 'string', default: '300000' },
    runs: { type: 'string', default: '100' },
    'keep-database': { type: 'boolean', default: false },
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
const HARD_LIMIT_MS = 20 * 60_000;
const out = (line: string) => process.stdout.write(`${line}\n`);
const mb = (n: number) => `${Math.round(n / 1048576)} MB`;

async function admin(server: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Entries of one chain, in SQL: seq 1..count spread over the last 12 months;
 * half are uses of a mandate (partner, démarche), the rest mandate openings
 * and sign-ins; 5 aidants and count/20 usagers per chain; seqs after `after`.
 */
function generateChain(dataSource: DataSource, chain: string, count: number, aidants: string[], after = 0) {
  return dataSource.query(
    `INSERT INTO journal_entries (id, chain, seq, at, action, actor_type, actor_id, usager_id, mandate_id, aidant_id,
                                  partner_id, demarche, ip, user_agent, request_id, details, prev_hash, hash)
     SELECT gen_random_uuid(), $1, $4::bigint + s,
            now() - interval '365 days' + (s::float8 / $2) * interval '365 days',
            CASE WHEN s % 2 = 0 THEN 'autorisation.used' WHEN s % 3 = 0 THEN 'mandate.created' ELSE 'aidant.signed_in' END,
            'aidant', ($3::text[])[1 + s % 5],
            CASE WHEN s % 2 = 0 OR s % 3 = 0 THEN md5($1 || (s % greatest(1, $2 / 20))::text)::uuid::text END,
            CASE WHEN s % 2 = 0 OR s % 3 = 0 THEN md5('m' || $1 || (s % greatest(1, $2 / 20))::text)::uuid::text END,
            ($3::text[])[1 + s % 5],
            CASE WHEN s % 2 = 0 THEN (ARRAY['caf-demo', 'impots-demo', 'ameli-demo', 'ants-demo'])[1 + s % 4] END,
            CASE WHEN s % 2 = 0 OR s % 3 = 0 THEN (ARRAY['papiers','famille','social','travail','logement','transports','argent','justice','etranger','loisirs'])[1 + (s / 2) % 10] END,
            '192.0.2.1', 'bench', md5(s::text),
            CASE WHEN s % 2 = 0 THEN '{}'::jsonb
                 WHEN s % 3 = 0 THEN '{"demarches":["logement"],"duration":"long"}'::jsonb
                 ELSE '{"method":"password+totp"}'::jsonb END,
            md5(s::text) || md5(s::text), md5($1 || s::text) || md5(s::text)
       FROM generate_series(1, $2::int) AS s`,
    [chain, count, aidants, after],
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function timedGets(base: string, path: string, cookie: string, runs: number): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < runs + 5; i++) {
    const t0 = performance.now();
    const res = await fetch(`${base}${path}`, { headers: { cookie } });
    await res.text();
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
    if (i >= 5) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return `p50 ${percentile(times, 0.5).toFixed(1)} ms, p95 ${percentile(times, 0.95).toFixed(1)} ms`;
}

async function timedCalls(call: () => Promise<unknown>, runs: number): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < runs + 5; i++) {
    const t0 = performance.now();
    await call();
    if (i >= 5) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return `p50 ${percentile(times, 0.5).toFixed(1)} ms, p95 ${percentile(times, 0.95).toFixed(1)} ms`;
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

async function exportThroughput(base: string, cookie: string, format: 'csv' | 'jsonl', rows: number): Promise<string> {
  const rss: number[] = [];
  const before = process.memoryUsage().rss;
  const sample = setInterval(() => rss.push(process.memoryUsage().rss), 100);
  const t0 = performance.now();
  const res = await fetch(`${base}/structure/journal/export?format=${format}`, { headers: { cookie } });
  let bytes = 0;
  for await (const chunk of res.body!) bytes += (chunk as Uint8Array).length;
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sample);
  const quarter = (q: number) => rss[Math.min(rss.length - 1, Math.floor((rss.length * q) / 4))] ?? before;
  return `${format}: ${rows} rows, ${Math.round(bytes / 1048576)} MB in ${seconds.toFixed(1)} s = ${Math.round(rows / seconds)} rows/s; RSS before ${mb(before)}, at 25/50/75/100 % ${[1, 2, 3, 4].map((q) => mb(quarter(q))).join(' / ')}, peak ${mb(Math.max(before, ...rss))}`;
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
  if (!values.reuse) await admin(values.server!, `CREATE DATABASE ${name}`);
  let running: RunningApp | undefined;
  try {
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0', FC_SIMULATOR_PORT: '0', DATABASE_URL: url.toString() });
    running = await createApp(config);
    await running.app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(running.app.getHttpServer().address() as { port: number }).port}`;
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
    if (!values.reuse) await generate(dataSource, structure.id, aidants);
    const cookie = await signIn(base, 'aidant0@bench.test');
    const search = '/structure/journal?action=autorisation.used&demarche=logement&taille=50';
    out(`search, first page (${search}): ${await timedGets(base, search, cookie, RUNS)}`);
    let page = search;
    for (let i = 1; i < 100; i++) {
      const html = await (await fetch(`${base}${page}`, { headers: { cookie } })).text();
      const next = /id="next-page" href="([^"]+)"/.exec(html);
      if (!next) throw new Error(`no page ${i + 1}`);
      page = next[1]!.replaceAll('&amp;', '&');
    }
    out(`search, 100th page: ${await timedGets(base, page, cookie, RUNS)}`);
    out(`dashboard (/structure): ${await timedGets(base, '/structure', cookie, RUNS)}`);

    // The same questions asked of the services directly: database and shaping, without HTTP, session and template.
    const actor: AidantActor = {
      aidantId: aidants[0]!, structureId: structure.id, structureName: structure.name, roles: ['aidant', 'referent'],
      canOpenMandates: true, isReferent: true, givenName: 'Aidant', familyName: 'N0', totpAt: Date.now(),
    };
    const journal = running.app.get(SupervisionJournalService);
    const query = { action: 'autorisation.used', demarche: 'logement', taille: '50' };
    out(`service search, first page: ${await timedCalls(() => journal.search(actor, structure.id, query, null), RUNS)}`);
    let cursor: string | null = null;
    for (let i = 1; i < 100; i++) {
      const next = await journal.search(actor, structure.id, query, cursor);
      cursor = /apres=([^&]+)/.exec(next.nextLink ?? '')?.[1] ?? null;
    }
    out(`service search, 100th page: ${await timedCalls(() => journal.search(actor, structure.id, query, decodeURIComponent(cursor!)), RUNS)}`);
    const dashboard = running.app.get(DashboardService);
    out(`service dashboard: ${await timedCalls(() => dashboard.overview(actor, structure.id), RUNS)}`);
    const [{ rows }]: { rows: string }[] = await dataSource.query(`SELECT count(*) AS rows FROM journal_entries WHERE chain = $1`, [structure.id]);
    out(`export ${await exportThroughput(base, cookie, 'csv', Number(rows))}`);
    out(`export ${await exportThroughput(base, cookie, 'jsonl', Number(rows) + 1)}`);
  } finally {
    clearTimeout(timer);
    await running?.close();
    if (!values['keep-database'] && !values.reuse) await admin(values.server!, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}


async function generate(dataSource: DataSource, structureId: string, aidants: string[]) {
  // The seeding journaled a few entries: the measured chain continues after them.
  await new Promise((r) => setTimeout(r, 1500));
  const started = performance.now();
  const [{ head }]: { head: string }[] = await dataSource.query(`SELECT coalesce(max(seq), 0) AS head FROM journal_entries WHERE chain = $1`, [structureId]);
  await generateChain(dataSource, structureId, LARGE, aidants, Number(head));
  const others = Math.max(0, STRUCTURES - 1);
  const perOther = others > 0 ? Math.floor((ENTRIES - LARGE) / others) : 0;
  for (let i = 0; i < others; i++) {
    const chain = (await dataSource.query(`SELECT gen_random_uuid()::text AS id`))[0].id as string;
    const ids = (await dataSource.query(`SELECT array_agg(gen_random_uuid()::text) AS ids FROM generate_series(1, 5)`))[0].ids as string[];
    await dataSource.query(`INSERT INTO journal_chains (chain) VALUES ($1) ON CONFLICT DO NOTHING`, [chain]);
    await generateChain(dataSource, chain, perOther, ids);
    if ((i + 1) % 50 === 0) out(`  … ${i + 1}/${others} other structures`);
  }
  await dataSource.query('VACUUM ANALYZE journal_entries');
  const [{ total }]: { total: string }[] = await dataSource.query(`SELECT count(*) AS total FROM journal_entries`);
  out(`generated ${total} entries over ${STRUCTURES} structures (measured structure: ${LARGE + Number(head)}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(2);
  },
);
