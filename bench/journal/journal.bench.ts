/**
 * Journal benchmark (docs/benchmarks.md); not a test. On a PostgreSQL server
 * (default the local one), in a throwaway database whose name contains
 * `bench`, dropped afterwards:
 *   (a) plain INSERTs of journal-shaped rows into an unchained table, through
 *       the same driver and pool, autocommit and each in its own transaction;
 *   (b) JournalService.append, each in its own transaction, timed until the
 *       sequencer has sealed everything, and JournalService.appendAlone (the
 *       entry as one autocommit INSERT, PostgreSQL's implicit transaction: how
 *       an event with no other change is recorded), timed the same way;
 *   both at 1, 8 and 32 concurrent writers over 16 chains; then
 *   (c) verification of at least 1,000,000 bulk-generated entries, with RSS.
 * The sequencer extends each chain's Merkle tree in the transaction that
 * seals, so (b) includes the tree's maintenance; the run says how many nodes
 * it wrote. With `--merkle`, instead: proofs over one chain of ten million
 * entries, served over HTTP and checked offline (merkle.bench.ts).
 *
 *   npm run bench:journal [-- --server postgres://postgres@127.0.0.1:5432/postgres --entries 12000 --rounds 1 --writers 1,8,32
 *                            --verify-entries 1000000 --verify-threads N]
 *   npm run bench:journal -- --merkle [--merkle-entries 10000000 --clients 1,4,8 --proof-requests 5000 --verify-runs 5000
 *                                      --keep-database | --reuse procuration_journal_bench_<time>] [--port N --profile DIR]
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { adminQuery } from '../../src/shared/admin-query.js';
import { backendCpu, cpuSecondsSince } from '../support/backend-cpu.js';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../config/config.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { preparedStatement, runPrepared } from '../../src/database/prepared-statement.js';
import { chainHash, GENESIS_HASH } from '../../src/journal/entries/hash-chain.js';
import { signCheckpoint } from '../../src/journal/checkpoints/checkpoint-signature.js';
import { createJournal, type JournalParts } from '../../src/journal/journal.factory.js';
import type { JournalEntry } from '../../src/journal/journal.types.js';
import { merkleBenchmark } from './merkle.bench.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    entries: { type: 'string', default: '12000' },
    'verify-entries': { type: 'string', default: '1000000' },
    /** Rounds of each write measurement (the table gives the medians): steadier figures on a shared machine. */
    rounds: { type: 'string', default: '1' },
    /** Numbers of concurrent writers measured, comma-separated. */
    writers: { type: 'string', default: '1,8,32' },
    /** Worker threads of verification (JOURNAL_VERIFY_THREADS); the default is one per CPU. */
    'verify-threads': { type: 'string' },
    /** Keep the database afterwards (to look into a result); the default drops it. */
    'keep-database': { type: 'boolean', default: false },
    /** Proofs over one long chain instead (merkle.bench.ts); the options below are its. */
    merkle: { type: 'boolean', default: false },
    'merkle-entries': { type: 'string', default: '10000000' },
    /** Numbers of référents asking for proofs at once (each with its own session), comma-separated. */
    clients: { type: 'string', default: '1,4,8' },
    'proof-requests': { type: 'string', default: '5000' },
    /** Runs of the offline verification of one bundle. */
    'verify-runs': { type: 'string', default: '5000' },
    /** Measure the proofs again on a database kept by an earlier `--merkle --keep-database`, without generating. */
    reuse: { type: 'string' },
    /** With --merkle: the application's port (default derived from the database's name, the same for --reuse). */
    port: { type: 'string' },
    /** With --merkle: write a V8 CPU profile of the application's process into this directory. */
    profile: { type: 'string' },
  },
});
const ENTRIES = Number(values.entries);
const VERIFY_ENTRIES = Number(values['verify-entries']);
const ROUNDS = Math.max(1, Number(values.rounds));
const WRITERS = values.writers!.split(',').map(Number);
const CHAINS = Array.from({ length: 16 }, () => randomUUID());
const HARD_LIMIT_MS = 8 * 60_000;
/** Generating ten million entries and their tree takes most of it. */
const MERKLE_HARD_LIMIT_MS = 60 * 60_000;
const out = (line: string) => process.stdout.write(`${line}\n`);
const load = () => `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (1, 5, 15 min)`;

const admin = (sql: string): Promise<void> => adminQuery(values.server!, sql);

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs `total` operations from `writers` concurrent loops; returns operations per second. */
async function timed(writers: number, total: number, operation: (i: number) => Promise<unknown>, drain?: () => Promise<void>) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < total) await operation(next++);
    }),
  );
  if (drain) await drain();
  return total / ((performance.now() - started) / 1000);
}

const DUMMY_HASH = 'ab'.repeat(32);
// Prepared like the journal's own INSERT (same driver, pool and protocol).
const PLAIN_INSERT = preparedStatement('bench_plain_insert', `INSERT INTO bench_plain (id, chain, seq, at, action, actor_type, actor_id, aidant_id, ip, user_agent, request_id, details, prev_hash, hash)
  VALUES ($1, $2, $3, date_trunc('milliseconds', now()), 'aidant.signed_in', 'aidant', $4, $4, '192.0.2.1', 'bench', $5, $6, $7, $7)`);

async function writeBenchmarks(dataSource: DataSource, parts: JournalParts, database: string) {
  const { journal, transactions, sealer } = parts;
  await dataSource.query(
    `CREATE TABLE bench_plain (LIKE journal_entries INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`,
  );
  const plainSeq = new Map<string, number>();
  const plainParams = (i: number) => {
    const chain = CHAINS[i % CHAINS.length]!;
    const seq = (plainSeq.get(chain) ?? 0) + 1;
    plainSeq.set(chain, seq);
    const aidant = randomUUID();
    return [randomUUID(), chain, seq, aidant, randomUUID(), JSON.stringify({ method: 'password+totp' }), DUMMY_HASH];
  };
  const event = (i: number) => {
    const aidant = randomUUID();
    return {
      action: 'aidant.signed_in' as const,
      structureId: CHAINS[i % CHAINS.length]!,
      actor: { type: 'aidant' as const, id: aidant },
      subjects: { aidantId: aidant },
      request: { ip: '192.0.2.1', userAgent: 'bench', requestId: randomUUID() },
      details: { method: 'password+totp' as const },
    };
  };
  const append = (i: number) => transactions.run((manager) => journal.append(manager, event(i)));
  const appendAlone = (i: number) => journal.appendAlone(event(i));
  let maxPendingAgeMs = 0;
  const drain = async () => {
    for (;;) {
      const [{ pending, age }] = await dataSource.query(
        `SELECT count(*)::int AS pending, coalesce(extract(epoch FROM max(now() - at)) * 1000, 0)::int AS age FROM journal_pending`,
      );
      maxPendingAgeMs = Math.max(maxPendingAgeMs, age);
      if (pending === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  // Sample how long committed entries wait to be sealed, while (b) runs.
  let sampling = true;
  const sampler = (async () => {
    while (sampling && dataSource.isInitialized) {
      const [{ age }] = await dataSource.query(
        `SELECT coalesce(extract(epoch FROM max(clock_timestamp() - at)) * 1000, 0)::int AS age FROM journal_pending`,
      );
      maxPendingAgeMs = Math.max(maxPendingAgeMs, age);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })().catch(() => undefined);

  sealer.start();
  await timed(8, 500, append, drain); // warm-up
  await timed(8, 500, (i) => runPrepared(dataSource.manager, PLAIN_INSERT, plainParams(i)));
  await timed(8, 500, appendAlone, drain);
  out(
    '\n| writers | (a) autocommit INSERT /s | (a) INSERT in a transaction /s | (b) append in a transaction, sealed /s | (b) appendAlone, sealed /s' +
      ' | (b tx)/(a tx) | (b alone)/(a autocommit) | (b tx)/(a autocommit) |',
  );
  out('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const rows = [];
  const cpuPerAppend: string[] = [];
  for (const writers of WRITERS) {
    const total = writers === 1 ? Math.min(ENTRIES, 4000) : ENTRIES;
    // On a shared machine, several rounds of the three measurements side by side, then the median of each.
    const measured: { plainAuto: number; plainTx: number; appended: number; alone: number }[] = [];
    const cpu = { plainAuto: [0, 0], plainTx: [0, 0], appended: [0, 0], alone: [0, 0] };
    // Rate of one measurement; adds its CPU time (this process, the database's backends) to `cpu[kind]`.
    const measure = async (kind: keyof typeof cpu, operation: (i: number) => Promise<unknown>, withDrain?: () => Promise<void>) => {
      const backends = () => backendCpu((sql, p) => dataSource.query(sql, p), database);
      const backendsBefore = await backends();
      const processBefore = process.cpuUsage();
      const rate = await timed(writers, total, operation, withDrain);
      const used = process.cpuUsage(processBefore);
      cpu[kind][0] += used.user + used.system;
      cpu[kind][1] += cpuSecondsSince(backendsBefore, await backends()) * 1e6;
      return rate;
    };
    for (let round = 0; round < ROUNDS; round++) {
      const plainAuto = await measure('plainAuto', (i) => runPrepared(dataSource.manager, PLAIN_INSERT, plainParams(i)));
      const plainTx = await measure('plainTx', (i) => transactions.run((m) => runPrepared(m, PLAIN_INSERT, plainParams(i))));
      const appended = await measure('appended', append, drain);
      const alone = await measure('alone', appendAlone, drain);
      measured.push({ plainAuto, plainTx, appended, alone });
    }
    const perEntry = (kind: keyof typeof cpu) => cpu[kind].map((micros) => Math.round(micros / (total * ROUNDS))).join(' + ');
    cpuPerAppend.push(
      `${writers} writers: (a) autocommit ${perEntry('plainAuto')}, (a) tx ${perEntry('plainTx')}, (b) tx ${perEntry('appended')}, (b) alone ${perEntry('alone')}`,
    );
    const [plainAuto, plainTx, appended, alone] = (['plainAuto', 'plainTx', 'appended', 'alone'] as const).map((k) =>
      median(measured.map((m) => m[k])),
    );
    rows.push({ writers, plainAuto, plainTx, appended, alone });
    out(
      `| ${writers} | ${Math.round(plainAuto!)} | ${Math.round(plainTx!)} | ${Math.round(appended!)} | ${Math.round(alone!)}` +
        ` | ${(appended! / plainTx!).toFixed(2)} | ${(alone! / plainAuto!).toFixed(2)} | ${(appended! / plainAuto!).toFixed(2)} |`,
    );
  }
  sampling = false;
  await sampler;
  await sealer.stop();
  out(`\nlongest wait of a committed entry before sealing, during (b): ${maxPendingAgeMs} ms`);
  out(`CPU µs per entry (this process + the database's backends):\n  ${cpuPerAppend.join('\n  ')}`);
  out(`after the writes: ${load()}`);
  const report = await journal.verify();
  out(`verification after (b): ${report.ok ? 'OK' : `BROKEN ${JSON.stringify(report.broken)}`} (${report.entries} entries, ${report.checkpoints} checkpoints)`);
  // The tree is maintained by the same sealing transactions that (b) timed: one leaf per sealed entry, and the nodes above.
  const [tree] = await dataSource.query(
    `SELECT (SELECT count(*)::int FROM journal_entries) AS entries, count(*) FILTER (WHERE level = 0)::int AS leaves, count(*)::int AS nodes
       FROM journal_merkle_nodes`,
  );
  out(`Merkle trees extended while sealing during (b): ${tree.leaves} leaves for ${tree.entries} sealed entries, ${tree.nodes} nodes in all`);
  if (tree.leaves !== tree.entries) throw new Error('the sealer did not extend the Merkle trees of every sealed entry');
  return rows;
}

/** Writes `total` entries with correct hashes over 16 new chains, checkpoint every 1000, in batches. */
async function bulkGenerate(dataSource: DataSource, parts: JournalParts, total: number) {
  const key = await parts.keys.signingKey('journal');
  const chains = Array.from({ length: 16 }, () => randomUUID());
  await dataSource.query(`INSERT INTO journal_chains (chain) SELECT unnest($1::text[])`, [chains]);
  const heads = new Map(chains.map((c) => [c, { seq: 0, hash: GENESIS_HASH }]));
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  const BATCH = 5000;
  for (let done = 0; done < total; done += BATCH) {
    const rows = [];
    const checkpoints = [];
    for (let i = done; i < Math.min(total, done + BATCH); i++) {
      const chain = chains[i % chains.length]!;
      const head = heads.get(chain)!;
      const aidant = randomUUID();
      const entry: JournalEntry = {
        id: randomUUID(),
        chain,
        seq: head.seq + 1,
        at: new Date(start + i).toISOString(),
        action: 'aidant.signed_in',
        actor: { type: 'aidant', id: aidant },
        subjects: { usagerId: null, mandateId: null, aidantId: aidant, partnerId: null },
        demarche: null,
        request: { ip: '192.0.2.1', userAgent: 'bench', requestId: null },
        details: { method: 'password+totp' },
      };
      const hash = chainHash(head.hash, entry);
      rows.push({
        id: entry.id, chain, seq: entry.seq, at: entry.at, action: entry.action, actor_type: 'aidant', actor_id: aidant,
        aidant_id: aidant, ip: '192.0.2.1', user_agent: 'bench', details: entry.details, prev_hash: head.hash, hash,
      });
      heads.set(chain, { seq: entry.seq, hash });
      if (entry.seq % 1000 === 0) {
        const statement = { chain, seq: entry.seq, hash, at: entry.at };
        checkpoints.push({ ...statement, kid: key.kid, jws: await signCheckpoint(key, statement) });
      }
    }
    await dataSource.query(
      `INSERT INTO journal_entries (id, chain, seq, at, action, actor_type, actor_id, aidant_id, ip, user_agent, details, prev_hash, hash)
       SELECT id, chain, seq, at, action, actor_type, actor_id, aidant_id, ip, user_agent, details, prev_hash, hash
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, chain text, seq bigint, at timestamptz, action text, actor_type text,
              actor_id text, aidant_id text, ip text, user_agent text, details jsonb, prev_hash text, hash text)`,
      [JSON.stringify(rows)],
    );
    if (checkpoints.length > 0) {
      await dataSource.query(
        `INSERT INTO journal_checkpoints (chain, seq, hash, at, kid, jws)
         SELECT chain, seq, hash, at, kid, jws FROM jsonb_to_recordset($1::jsonb)
           AS x(chain text, seq bigint, hash text, at timestamptz, kid text, jws text)`,
        [JSON.stringify(checkpoints)],
      );
    }
  }
  return chains;
}

async function verifyBenchmark(dataSource: DataSource, parts: JournalParts & { verifyThreads: string }) {
  const started = performance.now();
  await bulkGenerate(dataSource, parts, VERIFY_ENTRIES);
  await dataSource.query('VACUUM ANALYZE journal_entries');
  out(`\n(c) generated ${VERIFY_ENTRIES} chained entries with checkpoints in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // A journal is verified long after its rows were written, when autovacuum has long since set their
  // visibility hints; the first read of a million rows inserted a second ago would do that work itself.
  const vacuumStarted = performance.now();
  await dataSource.query(`VACUUM (ANALYZE) journal_entries, journal_checkpoints`);
  out(`(c) VACUUM (ANALYZE) of the journal tables, as autovacuum would have done: ${((performance.now() - vacuumStarted) / 1000).toFixed(1)} s`);
  out(`(c) before verifying: ${load()}; ${parts.verifyThreads} worker threads`);
  const rss: number[] = [];
  const sample = setInterval(() => rss.push(process.memoryUsage().rss), 250);
  const before = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const report = await parts.journal.verify();
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  clearInterval(sample);
  const mb = (n: number) => `${Math.round(n / 1048576)} MB`;
  const quarter = (q: number) => rss[Math.min(rss.length - 1, Math.floor((rss.length * q) / 4))] ?? before;
  out(
    `(c) verification: ${report.ok ? 'OK' : 'BROKEN'} ${report.entries} entries, ${report.checkpoints} checkpoints in ${seconds.toFixed(1)} s = ${Math.round(report.entries / seconds)} entries/s`,
  );
  out(
    `(c) this process used ${((used.user + used.system) / 1e6).toFixed(1)} s of CPU during the ${seconds.toFixed(1)} s (the rest is the database and waiting)`,
  );
  out(`(c) after verifying: ${load()}`);
  out(
    `(c) RSS before ${mb(before)}, at 25/50/75/100 % of the run ${[1, 2, 3, 4].map((q) => mb(quarter(q))).join(' / ')}, peak ${mb(Math.max(before, ...rss))}`,
  );
}

async function main() {
  Logger.overrideLogger(false);
  if (values.merkle) {
    const timer = setTimeout(() => {
      process.stderr.write('benchmark took too long: stopping\n');
      process.exit(2);
    }, MERKLE_HARD_LIMIT_MS);
    await merkleBenchmark({
      server: values.server!, entries: Number(values['merkle-entries']), clients: [...new Set(values.clients!.split(',').map(Number))].sort((a, b) => a - b),
      requests: Number(values['proof-requests']), verifyRuns: Number(values['verify-runs']), keepDatabase: values['keep-database']!, reuse: values.reuse, profile: values.profile, port: values.port ? Number(values.port) : undefined,
    });
    clearTimeout(timer);
    return;
  }
  const name = `procuration_bench_${Date.now()}`;
  const url = new URL(values.server!);
  url.pathname = `/${name}`;
  const timer = setTimeout(() => {
    process.stderr.write('benchmark took too long: stopping\n');
    void admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => process.exit(2));
  }, HARD_LIMIT_MS);
  await admin(`CREATE DATABASE ${name}`);
  const dataSource = await new DataSource(dataSourceOptions(url.toString(), 36)).initialize();
  try {
    await dataSource.runMigrations();
    const [{ version }] = await dataSource.query(`SELECT current_setting('server_version') AS version`);
    out(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, PostgreSQL ${version}`);
    out(`entries per write run: ${ENTRIES} (4000 at 1 writer), 16 chains, ${ROUNDS} round(s); at the start: ${load()}`);
    const threads = values['verify-threads'];
    const environment = { NODE_ENV: 'development', DATABASE_URL: url.toString(), JOURNAL_VERIFY_THREADS: threads };
    const parts = { ...createJournal(dataSource, loadConfig(environment)), verifyThreads: threads ?? String(availableParallelism()) };
    await writeBenchmarks(dataSource, parts, name).finally(() => parts.sealer.stop());
    if (VERIFY_ENTRIES > 0) await verifyBenchmark(dataSource, parts);
  } finally {
    await dataSource.destroy();
    if (values['keep-database']) out(`kept database ${name}`);
    else await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    clearTimeout(timer);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
