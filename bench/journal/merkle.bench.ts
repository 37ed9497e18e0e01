/**
 * The journal benchmark's Merkle part (`npm run bench:journal -- --merkle`,
 * docs/benchmarks.md): proofs over one chain of `--merkle-entries` entries.
 *   1. seeds a structure and its référents through the application (in this
 *      process, once), then generates the chain and its tree set-based in SQL
 *      (merkle-chain.ts) in a database `procuration_journal_bench_<time>`,
 *      kept with `--keep-database` and measured again with `--reuse <name>`;
 *   2. starts the built application as its own process (production mode,
 *      secrets derived from the database's name so that a kept database can
 *      be measured again), signs the référents in through the real form;
 *   3. checks a few served proof bundles with the published keys only, and
 *      their root against the chain's served checkpoint;
 *   4. référents download `--proof-requests` proofs of random entries
 *      through the route of the entry page's "Télécharger la preuve"
 *      (`GET /structure/journal/:chain/:seq/preuve`), one after the other,
 *      for each number of `--clients` at once: p50, p95, p99, CPU per proof;
 *   5. times the offline check of one bundle (what `journal:verify-proof`
 *      runs once the file and the keys are read) over many runs;
 *   6. states the tree's storage per entry.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomInt } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../../config/config.js';
import { createApp, type RunningApp } from '../../src/app.factory.js';
import { codeAtStep } from '../../src/aidants/totp.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { simulatorClientFrom, startFcSimulator, type FcSimulator } from '../../src/fc-simulator/fc-simulator.js';
import { JournalSealer } from '../../src/journal/sealing/sealer.js';
import { parseCheckpoint } from '../../src/journal/notes/checkpoint.js';
import { verifyNote } from '../../src/journal/notes/note.js';
import { verifierFromKey } from '../../src/journal/notes/note.verifiers.js';
import { verifyProofBundle, type ProofBundle } from '../../src/journal/proofs/proof-bundle.js';
import { KnownAccounts } from '../../src/seed/accounts.js';
import { adminQuery } from '../../src/shared/admin-query.js';
import { CounterBrowser, csrfOn, type Sample } from '../counter/counter-browser.js';
import { backendCpu, cpuSecondsSince, processCpuSeconds } from '../support/backend-cpu.js';
import { generateChain } from './merkle-chain.js';

export interface MerkleOptions {
  server: string;
  entries: number;
  /** Numbers of référents asking at once, each measured in turn. */
  clients: number[];
  requests: number;
  verifyRuns: number;
  keepDatabase: boolean;
  reuse?: string;
  /**
   * The application's port. Checkpoint notes name their signing key after the service's public URL, so a
   * kept database is measured again on the port it was generated with: by default one derived from its name.
   */
  port?: number;
  /** Write a V8 CPU profile of the application's process into this directory (`--cpu-prof`). */
  profile?: string;
}

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const PASSWORD = 'Procuration-bench-2026';
const FC_CLIENT_ID = 'procuration-journal-bench';
const NAME = /^procuration_journal_bench_\d+$/;
const out = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const load = () => `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (1, 5, 15 min)`;
const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;

/** Throwaway secrets, derived from the database's name so that `--reuse` finds its keys again. */
function environment(name: string, databaseUrl: string, port: number, issuer: string): Record<string, string> {
  const derive = (purpose: string) => createHmac('sha256', `procuration-journal-bench:${name}`).update(purpose).digest();
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: databaseUrl,
    FC_ISSUER: issuer,
    FC_CLIENT_ID,
    SESSION_SECRET: derive('session').toString('base64url'),
    FC_CLIENT_SECRET: derive('fc-client').toString('base64url'),
    FC_SUB_KEY: derive('fc-sub').toString('base64url'),
    KEYS_ENCRYPTION_KEY: derive('keys').toString('base64'),
    TOTP_ENCRYPTION_KEY: derive('totp').toString('hex'),
    PROVIDER_PAIRWISE_KEY: derive('pairwise').toString('base64url'),
  };
}

const referentEmail = (i: number) => `referent${i}@journal-bench.test`;

/** The structure and its référents through the application's services; the sequencer seals what they journaled. */
async function seed(env: Record<string, string>, referents: number): Promise<{ chain: string; aidant: string }> {
  let running: RunningApp | undefined;
  try {
    running = await createApp(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
    const known = new KnownAccounts(running.app);
    const tx = running.app.get(TransactionRunner);
    const chain = await tx.run(async (m) =>
      (await known.structure(m, { name: 'France Services de Vesoul', siret: '21700550300016', type: 'france_services', address: '1 place de la Mairie' })).structure.id,
    );
    let aidant = '';
    for (let i = 0; i < referents; i++) {
      const account = {
        email: referentEmail(i), givenName: 'Camille', familyName: `R${i}`, password: PASSWORD, totpSecret: SECRET,
        memberships: [{ structureId: chain, roles: ['aidant' as const, 'referent' as const] }],
      };
      const id = await tx.run(async (m) => (await known.aidant(m, account)).id);
      aidant ||= id;
    }
    await running.app.get(JournalSealer).flush();
    return { chain, aidant };
  } finally {
    await running?.close();
  }
}

/** Signs a référent in through the form (password and a TOTP code); tries the next steps if a code was already used. */
async function signIn(base: string, email: string): Promise<CounterBrowser> {
  const browser = new CounterBrowser(base, () => undefined);
  for (let ahead = 0; ahead <= 1; ahead++) {
    const form = await browser.get(`${base}/aidant/connexion`);
    const page = await browser.post(`${base}/aidant/connexion`, {
      _csrf: csrfOn(form), email, password: PASSWORD, totp: codeAtStep(SECRET, 30, Math.floor(Date.now() / 30_000) + ahead),
    });
    if (/^\/(aidant|structure)$/.test(new URL(page.url).pathname)) return browser;
  }
  throw new Error(`sign-in of ${email} failed`);
}

/** The statements the application's process has sent to PostgreSQL so far (statement-counter.ts). */
function statementsSent(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the statement counter did not answer')), 10_000);
    const listen = (message: unknown) => {
      const count = (message as { statements?: number } | null)?.statements;
      if (typeof count !== 'number') return;
      clearTimeout(timer);
      child.off('message', listen);
      resolve(count);
    };
    child.on('message', listen);
    child.send({ statements: true });
  });
}

async function startApplication(env: Record<string, string>, profile?: string): Promise<ChildProcess> {
  const here = dirname(fileURLToPath(import.meta.url));
  const child = fork(join(here, '../../src/main.js'), [], {
    env: { PATH: process.env.PATH ?? '', ...env },
    // The counter benchmark's statement counter, loaded beside the application, answers on the IPC channel.
    execArgv: ['--import', join(here, '../counter/statement-counter.js'), ...(profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [])],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  let ready = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('Procuration est prête')) ready = true;
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the application stopped (exit ${code})`))));
  exited.catch(() => undefined);
  while (!ready) await Promise.race([sleep(100), exited]);
  return child;
}

export async function merkleBenchmark(options: MerkleOptions): Promise<void> {
  const name = options.reuse ?? `procuration_journal_bench_${Date.now()}`;
  if (!NAME.test(name)) throw new Error('--reuse takes the name of a journal benchmark database kept by --merkle --keep-database');
  const url = new URL(options.server);
  url.pathname = `/${name}`;
  out(`journal Merkle benchmark: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}; ${load()}`);
  out(`database ${name}${options.reuse ? ' (reused)' : ''}`);
  const port = options.port ?? 20_000 + (createHash('sha256').update(name).digest().readUInt32BE(0) % 20_000);
  const base = `http://127.0.0.1:${port}`;
  const client = new pg.Client({ connectionString: url.toString() });
  let simulator: FcSimulator | undefined;
  let child: ChildProcess | undefined;
  let connected = false;
  if (!options.reuse) await adminQuery(options.server, `CREATE DATABASE ${name}`);
  try {
    simulator = await startFcSimulator({
      port: 0, nodeEnv: 'development',
      clients: [simulatorClientFrom({ publicUrl: base, franceConnect: { clientId: FC_CLIENT_ID, clientSecret: environment(name, '', port, '').FC_CLIENT_SECRET } })],
    });
    const env = environment(name, url.toString(), port, simulator.issuer);
    if (!options.reuse) {
      const t = performance.now();
      const { chain, aidant } = await seed(env, Math.max(...options.clients));
      out(`structure and ${Math.max(...options.clients)} référents created through the services in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      await client.connect();
      connected = true;
      out(`generating a chain of ${options.entries} entries and its Merkle tree in SQL (${load()}):`);
      const generated = await generateChain(client, chain, aidant, options.entries, out);
      const s = generated.seconds;
      const total = s.entries + s.leaves + s.upperLevels + s.indexes + s.vacuum;
      out(
        `generated ${generated.written} entries in ${total.toFixed(0)} s: entries ${s.entries.toFixed(0)} s, leaves ${s.leaves.toFixed(0)} s, ` +
          `upper levels ${s.upperLevels.toFixed(0)} s, journal indexes ${s.indexes.toFixed(0)} s, VACUUM (ANALYZE) ${s.vacuum.toFixed(0)} s; sample checked against the project's hashes`,
      );
    } else {
      await client.connect();
      connected = true;
    }
    const [{ chain, size }] = (await client.query<{ chain: string; size: string }>(
      `SELECT chain, max(seq) AS size FROM journal_entries GROUP BY chain ORDER BY 2 DESC LIMIT 1`,
    )).rows as [{ chain: string; size: string }];
    const chainSize = Number(size);

    const t = performance.now();
    child = await startApplication(env, options.profile);
    out(`application started as process ${child.pid} in ${((performance.now() - t) / 1000).toFixed(1)} s (production mode)`);
    const referents: CounterBrowser[] = [];
    for (let i = 0; i < Math.max(...options.clients); i++) referents.push(await signIn(base, referentEmail(i)));
    out(`${referents.length} référents signed in through the form`);

    const proofUrl = (seq: number) => `${base}/structure/journal/${chain}/${seq}/preuve`;
    // The first proof signs the chain's checkpoint if none covers the entry yet.
    // The note key is created when the first note is signed: ask for a proof before reading the published keys.
    const first = await referents[0]!.get(proofUrl(chainSize));
    if (first.status !== 200) throw new Error(`proof of entry ${chainSize}: HTTP ${first.status}`);
    const keyLines = (await (await fetch(`${base}/.well-known/procuration/journal-note-keys`)).text()).split('\n').filter((l) => l.trim() !== '');
    const keys = keyLines.map(verifierFromKey);
    // The sign-ins above journaled entries, and the sequencer signs a checkpoint of them shortly: until the
    // served checkpoint stays the same while the proofs are fetched, fetch them again.
    const servedCheckpoint = async () =>
      parseCheckpoint(verifyNote(await (await fetch(`${base}/journal/${chain}/checkpoint`)).text(), keys).text);
    let checked: ProofBundle[] = [];
    let checkpoint = await servedCheckpoint();
    for (let attempt = 1; ; attempt++) {
      checked = [];
      for (const seq of [1, chainSize, ...Array.from({ length: 8 }, () => 1 + randomInt(chainSize))]) {
        const page = await referents[0]!.get(proofUrl(seq));
        if (page.status !== 200) throw new Error(`proof of entry ${seq}: HTTP ${page.status}`);
        const bundle = JSON.parse(page.html) as ProofBundle;
        verifyProofBundle(bundle, keys);
        checked.push(bundle);
      }
      const after = await servedCheckpoint();
      const same = (a: { size: number; rootHash: Uint8Array }, b: { size: number; rootHash: Uint8Array }) =>
        a.size === b.size && Buffer.from(a.rootHash).equals(Buffer.from(b.rootHash));
      if (same(after, checkpoint)) {
        for (const bundle of checked) {
          if (!same(parseCheckpoint(verifyNote(bundle.checkpoint, keys).text), checkpoint)) {
            throw new Error(`proof of entry ${bundle.entry.seq}: its checkpoint is not the chain's served checkpoint`);
          }
        }
        break;
      }
      if (attempt === 20) throw new Error('the chain\'s served checkpoint kept changing');
      checkpoint = after;
      await sleep(3000);
    }
    out(
      `${checked.length} served proofs (entries 1, ${chainSize} and 8 at random) verified with the published keys only, ` +
        `against the served checkpoint (tree size ${checkpoint.size}, root ${Buffer.from(checkpoint.rootHash).toString('base64')}); audit paths of ${checked.map((b) => b.auditPath.length).join(', ')} hashes`,
    );

    // Proofs of random entries, closed loop (each référent asks the next as soon as one arrives): one référent
    // alone, then all at once; with the CPU time of the application's process and of the database's backends.
    // This monitoring connection is left out.
    const [{ monitor }] = (await client.query<{ monitor: number }>(`SELECT pg_backend_pid() AS monitor`)).rows as [{ monitor: number }];
    const backends = () => backendCpu((sql, p) => client.query<{ pid: number }>(sql, p).then((r) => r.rows.filter((row) => row.pid !== monitor)), name);
    const run = async (browsers: readonly CounterBrowser[], total: number) => {
      const times: number[] = [];
      let errors = 0;
      let next = 0;
      const appBefore = processCpuSeconds(child!.pid!) ?? 0;
      const backendsBefore = await backends();
      const statementsBefore = await statementsSent(child!);
      const started = performance.now();
      await Promise.all(
        browsers.map(async (browser) => {
          const timed = browser.recordingTo((sample: Sample) => {
            times.push(sample.ms);
            if (!sample.ok) errors++;
          });
          while (next++ < total) await timed.get(proofUrl(1 + randomInt(chainSize)));
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const app = (processCpuSeconds(child!.pid!) ?? 0) - appBefore;
      const database = cpuSecondsSince(backendsBefore, await backends());
      const statements = (await statementsSent(child!)) - statementsBefore;
      times.sort((a, b) => a - b);
      const perRequest = (cpu: number) => ((cpu * 1000) / times.length).toFixed(2);
      out(
        `| ${browsers.length} | ${times.length} | ${(times.length / seconds).toFixed(0)} | ${ms(percentile(times, 0.5))} | ${ms(percentile(times, 0.95))} | ` +
          `${ms(percentile(times, 0.99))} | ${ms(times.at(-1)!)} | ${errors} | ${perRequest(app)} + ${perRequest(database)} | ${(statements / times.length).toFixed(1)} |`,
      );
    };
    out(`\nproofs of random entries over HTTP, closed loop; before: ${load()}`);
    out('| référents at once | requests | per s | p50 | p95 | p99 | max | HTTP errors | CPU ms per proof (application + PostgreSQL) | statements per proof |');
    out('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    await run(referents, Math.min(500, options.requests)); // warm-up, printed as such below
    out('(the row above is the warm-up)');
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (const clients of options.clients) await run(referents.slice(0, clients), options.requests);
    const own = process.cpuUsage(cpuBefore);
    out(`this process (the clients) used ${(((own.user + own.system) / 1e6 / ((performance.now() - started) / 1000)) * 100).toFixed(0)} % of a core; after: ${load()}`);

    // Offline verification: the keys' text and the bundle's JSON as journal:verify-proof has them once read.
    const text = JSON.stringify(checked.at(-1)!, null, 2);
    const once = () => verifyProofBundle(JSON.parse(text), keyLines.map(verifierFromKey));
    for (let i = 0; i < 200; i++) once();
    const offline: number[] = [];
    const verifyCpu = process.cpuUsage();
    for (let i = 0; i < options.verifyRuns; i++) {
      const t0 = performance.now();
      once();
      offline.push(performance.now() - t0);
    }
    const verifyUsed = process.cpuUsage(verifyCpu);
    offline.sort((a, b) => a - b);
    out(
      `\noffline verification of one bundle (${text.length} bytes, ${checked.at(-1)!.auditPath.length} hashes; JSON parse, verifier keys, entry hash, leaf, ` +
        `note signature, audit path), ${options.verifyRuns} runs after 200: median ${ms(percentile(offline, 0.5))}, p95 ${ms(percentile(offline, 0.95))}, p99 ${ms(percentile(offline, 0.99))}; ` +
        `CPU ${ms((verifyUsed.user + verifyUsed.system) / 1000 / options.verifyRuns)} per run on average (${load()})`,
    );

    const [storage] = (
      await client.query<{ entries: string; nodes: string; heap: string; indexes: string; total: string; salts: string; entries_total: string }>(
        `SELECT (SELECT count(*) FROM journal_entries) AS entries, (SELECT count(*) FROM journal_merkle_nodes) AS nodes,
                pg_table_size('journal_merkle_nodes') AS heap, pg_indexes_size('journal_merkle_nodes') AS indexes,
                pg_total_relation_size('journal_merkle_nodes') AS total, pg_total_relation_size('journal_request_salts') AS salts,
                pg_total_relation_size('journal_entries') AS entries_total`,
      )
    ).rows;
    const per = (bytes: string) => (Number(bytes) / Number(storage!.entries)).toFixed(0);
    out(
      `\ntree storage: ${storage!.nodes} nodes for ${storage!.entries} entries; per entry ${per(storage!.total)} bytes ` +
        `(table ${per(storage!.heap)} + primary key ${per(storage!.indexes)}); ${(Number(storage!.total) / 2 ** 30).toFixed(2)} GiB in all. ` +
        `The request salts (tree version 2): ${per(storage!.salts)} bytes per entry. ` +
        `The entries themselves: ${per(storage!.entries_total)} bytes per entry with their indexes`,
    );
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    if (connected) await client.end();
    await simulator?.close();
    if (options.keepDatabase || options.reuse) out(`kept database ${name}`);
    else await adminQuery(options.server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
