/**
 * A chain of millions of entries and its Merkle tree, generated set-based in
 * SQL for the proof benchmark (merkle.bench.ts). The entries are filler, all
 * alike but for id, seq and time; each one's `hash` is right for its
 * `prev_hash`, but `prev_hash` is not the previous entry's hash (a hash chain
 * is sequential and cannot be computed set-based), so the chain as a whole
 * does not verify. The tree is real: level 0 is SHA-256(0x00 ‖ leaf) of each
 * entry's leaf bytes, each upper level SHA-256(0x01 ‖ left ‖ right) of the
 * level below, so a proof served for any entry verifies.
 *
 * The leaf bytes are the project's (`merkleLeaf`), not written out here: one
 * entry with sentinel values in place of id, seq, time and hashes goes through
 * the project's functions, and SQL substitutes each row's values into the
 * text that comes out. A sample of the generated rows is then checked against
 * the project's functions in this process, so a change of leaf bytes that
 * substitution cannot follow stops the benchmark instead of building a tree
 * no proof matches.
 */
import type pg from 'pg';
import { canonicalEntry, canonicalRequest, chainHash, merkleLeaf, requestCommitment } from '../../src/journal/entries/hash-chain.js';
import { ENTRY_COLUMNS, sealedEntryOf, type SealedRow } from '../../src/journal/entries/entry-rows.js';
import { leafHash } from '../../src/journal/merkle/merkle.hash.js';
import { TREE_VERSION } from '../../src/journal/tree/merkle-nodes.js';
import type { SealedJournalEntry } from '../../src/journal/journal.types.js';
import { dropSecondaryIndexes } from '../support/journal-indexes.js';

/** Values that stand for a row's own in the templates; none is a substring of a value put in their place. */
const SENTINEL = {
  id: '11111111-2222-4333-8444-555555555555',
  seq: 987_654_321_012_345,
  at: '2999-12-31T23:59:59.999Z',
  prevHash: '0123456789abcdef'.repeat(4),
  hash: 'fedcba9876543210'.repeat(4),
  commitment: '89abcdef01234567'.repeat(4),
};

/** Rows per INSERT of entries and leaves: progress is printed after each. */
const CHUNK = 1_000_000;

/** The first entry's time; entry seq is at START + seq ms. */
const START = '2026-01-01T00:00:00.000Z';

function sentinelEntry(chain: string, aidant: string): SealedJournalEntry {
  return {
    id: SENTINEL.id,
    chain,
    seq: SENTINEL.seq,
    at: SENTINEL.at,
    action: 'aidant.signed_in',
    actor: { type: 'aidant', id: aidant },
    subjects: { usagerId: null, mandateId: null, aidantId: aidant, partnerId: null },
    demarche: null,
    request: { ip: '192.0.2.1', userAgent: 'bench', requestId: null },
    details: { method: 'password+totp' },
    prevHash: SENTINEL.prevHash,
    hash: SENTINEL.hash,
  };
}

/** `template` as SQL text with each sentinel it contains replaced by the given SQL expression. */
function substituted(template: string, expressions: Partial<Record<keyof typeof SENTINEL, string>>, parameter: number): string {
  let sql = `$${parameter}::text`;
  for (const [name, expression] of Object.entries(expressions)) {
    const sentinel = String(SENTINEL[name as keyof typeof SENTINEL]);
    if (template.includes(sentinel)) sql = `replace(${sql}, '${sentinel}', ${expression})`;
  }
  return sql;
}

export interface GeneratedChain {
  /** Entries written (seq from `from` to `to`). */
  written: number;
  seconds: { entries: number; leaves: number; upperLevels: number; indexes: number; vacuum: number };
}

/**
 * Appends filler entries to `chain` up to seq `size` (its sealed entries and
 * their tree are kept), with the tree nodes they complete. `chain` must have
 * nothing pending. `out` prints progress.
 */
export async function generateChain(client: pg.Client, chain: string, aidant: string, size: number, out: (line: string) => void): Promise<GeneratedChain> {
  const entry = sentinelEntry(chain, aidant);
  const text = canonicalEntry(entry);
  // Tree version 2's leaf holds a commitment to the request facts with a salt
  // per entry (docs/decisions/0109): each row's salt is filler derived from
  // its seq, written to journal_request_salts, and its commitment computed in SQL.
  const leaf = merkleLeaf(entry, SENTINEL.commitment);
  const leafText = leaf.toString('utf8');
  if (!Buffer.from(leafText, 'utf8').equals(leaf)) throw new Error('the Merkle leaf is not UTF-8 text: the SQL generation cannot build it');
  for (const name of ['id', 'seq', 'at'] as const) {
    if (!text.includes(String(SENTINEL[name]))) throw new Error(`the canonical entry does not contain its ${name}: the SQL generation cannot build it`);
  }
  const [{ head }] = (await client.query<{ head: string | null }>(`SELECT max(seq) AS head FROM journal_entries WHERE chain = $1`, [chain])).rows as [
    { head: string | null },
  ];
  const from = Number(head ?? 0) + 1;
  if (from > size) throw new Error(`chain ${chain} already has ${from - 1} entries`);
  await client.query(`INSERT INTO journal_chains (chain) VALUES ($1) ON CONFLICT DO NOTHING`, [chain]);

  // One row per seq: its id (ordered like seq, so the primary key grows at its right edge), time, prev_hash,
  // canonical text ($1), chain hash; seq from $2 to $3.
  const atText = `to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const rows = `
    SELECT seq, id, at, prev_hash, encode(sha256(decode(prev_hash, 'hex') || convert_to(canonical, 'UTF8')), 'hex') AS hash
      FROM (SELECT seq, id, at, prev_hash, ${substituted(text, { id: 'id::text', seq: 'seq::text', at: atText }, 1)} AS canonical
              FROM (SELECT s AS seq, ('00000000-0000-4000-8000-' || lpad(to_hex(s), 12, '0'))::uuid AS id,
                           '${START}'::timestamptz + s * interval '1 millisecond' AS at,
                           encode(sha256(int8send(s)), 'hex') AS prev_hash
                      FROM generate_series($2::bigint, $3::bigint) AS s) AS g) AS c`;
  const saltSql = `substring(sha256(int8send(seq) || '\\x5a'::bytea) from 1 for 16)`;
  const commitmentSql = `encode(sha256(${saltSql} || convert_to($6::text, 'UTF8')), 'hex')`;
  const leafSql = substituted(leafText, { id: 'id::text', seq: 'seq::text', at: atText, commitment: commitmentSql }, 5);
  const requestText = canonicalRequest(entry.request);
  const constants = [entry.action, entry.actor.type, entry.actor.id, entry.subjects.aidantId, entry.request.ip, entry.request.userAgent, JSON.stringify(entry.details)];

  const indexes = await dropSecondaryIndexes(client);
  const seconds = { entries: 0, leaves: 0, upperLevels: 0, indexes: 0, vacuum: 0 };
  for (let first = from; first <= size; first += CHUNK) {
    const last = Math.min(size, first + CHUNK - 1);
    let t = performance.now();
    await client.query(
      `INSERT INTO journal_entries (id, chain, seq, at, action, actor_type, actor_id, aidant_id, ip, user_agent, details, prev_hash, hash)
       SELECT id, $4, seq, at, $5, $6, $7, $8, $9, $10, $11::jsonb, prev_hash, hash FROM (${rows}) AS r`,
      [text, first, last, chain, ...constants],
    );
    seconds.entries += (performance.now() - t) / 1000;
    t = performance.now();
    await client.query(
      `INSERT INTO journal_merkle_nodes (chain, tree, level, idx, hash)
       SELECT $4, ${TREE_VERSION}, 0, seq - 1, sha256('\\x00'::bytea || convert_to(${leafSql}, 'UTF8')) FROM (${rows}) AS r`,
      [text, first, last, chain, leafText, requestText],
    );
    await client.query(
      `INSERT INTO journal_request_salts (chain, seq, salt) SELECT $1, seq, ${saltSql} FROM generate_series($2::bigint, $3::bigint) AS seq`,
      [chain, first, last],
    );
    seconds.leaves += (performance.now() - t) / 1000;
    out(`  entries and leaves ${first}…${last} written (${(seconds.entries + seconds.leaves).toFixed(0)} s so far)`);
  }

  // Each upper level from the one below, one INSERT per level: node (level + 1, i) of the pairs (2i, 2i + 1).
  let t = performance.now();
  for (let level = 0; ; level++) {
    const { rowCount } = await client.query(
      `INSERT INTO journal_merkle_nodes (chain, tree, level, idx, hash)
       SELECT $1, ${TREE_VERSION}, $2::int + 1, idx / 2, sha256('\\x01'::bytea || hash || right_hash)
         FROM (SELECT idx, hash, lead(idx) OVER w AS right_idx, lead(hash) OVER w AS right_hash
                 FROM journal_merkle_nodes WHERE chain = $1 AND tree = ${TREE_VERSION} AND level = $2 WINDOW w AS (ORDER BY idx)) AS pairs
        WHERE idx % 2 = 0 AND right_idx = idx + 1
       ON CONFLICT DO NOTHING`,
      [chain, level],
    );
    const [{ n }] = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM journal_merkle_nodes WHERE chain = $1 AND tree = ${TREE_VERSION} AND level = $2::int + 1`, [chain, level]))
      .rows as [{ n: number }];
    out(`  level ${level + 1}: ${rowCount} nodes written`);
    // The level above holds at most one complete node: there is no pair left to hash.
    if (n <= 1) break;
  }
  seconds.upperLevels = (performance.now() - t) / 1000;

  t = performance.now();
  for (const definition of indexes) await client.query(definition);
  seconds.indexes = (performance.now() - t) / 1000;
  t = performance.now();
  await client.query(`VACUUM (ANALYZE) journal_entries, journal_merkle_nodes, journal_request_salts`);
  seconds.vacuum = (performance.now() - t) / 1000;
  await checkSample(client, chain, from, size);
  return { written: size - from + 1, seconds };
}

/** Checks generated rows against the project's own functions: the chain hash of each, and its leaf hash in the tree. */
async function checkSample(client: pg.Client, chain: string, from: number, size: number): Promise<void> {
  const seqs = [from, size, ...Array.from({ length: 20 }, () => from + Math.floor(Math.random() * (size - from + 1)))];
  const { rows } = await client.query<SealedRow & { leaf: Buffer; salt: Buffer }>(
    `SELECT ${ENTRY_COLUMNS.map((c) => `e.${c}`).join(', ')}, e.seq, e.prev_hash, e.hash, n.hash AS leaf, s.salt
       FROM journal_entries e
       JOIN journal_merkle_nodes n ON n.chain = e.chain AND n.tree = ${TREE_VERSION} AND n.level = 0 AND n.idx = e.seq - 1
       JOIN journal_request_salts s ON s.chain = e.chain AND s.seq = e.seq
      WHERE e.chain = $1 AND e.seq = ANY($2::bigint[])`,
    [chain, seqs],
  );
  if (rows.length !== new Set(seqs).size) throw new Error(`generated chain: ${rows.length} of ${new Set(seqs).size} sampled entries found with their leaf`);
  for (const row of rows) {
    const entry = sealedEntryOf(row);
    if (chainHash(entry.prevHash, entry) !== entry.hash) throw new Error(`generated entry ${entry.seq}: its hash is not the project's chain hash`);
    if (!leafHash(merkleLeaf(entry, requestCommitment(row.salt, entry.request))).equals(row.leaf)) throw new Error(`generated entry ${entry.seq}: its leaf is not the project's leaf hash`);
  }
}
