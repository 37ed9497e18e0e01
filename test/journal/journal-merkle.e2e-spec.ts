import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { JournalSealer } from '../../src/journal/sealing/sealer.js';
import { catchUpTrees, withStoredTree, type NodeQuery } from '../../src/journal/tree/merkle-nodes.js';
import { InMemoryMerkleTree, inclusionProof, leafHash, rootAt } from '../../src/journal/merkle/index.js';
import { JournalMerkleNodes1766110000000 } from '../../migrations/1766110000000-journal-merkle-nodes.js';
import { JournalTreeV21766140000000 } from '../../migrations/1766140000000-journal-tree-v2.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { appendOne, leafOfRow, sealedRows } from './journal-helpers.js';

describe("journal: each chain's Merkle tree", () => {
  let testApp: TestApp;
  let journal: JournalService;
  let transactions: TransactionRunner;
  let dataSource: DataSource;
  const chains = [randomUUID(), randomUUID(), randomUUID()];

  beforeAll(async () => {
    testApp = await startTestApp();
    journal = testApp.app.get(JournalService);
    transactions = testApp.app.get(TransactionRunner);
    dataSource = testApp.app.get(DataSource);
  });
  afterAll(() => testApp.close());

  const query: NodeQuery = (statement, values) => dataSource.query(statement.text, values);

  /** The tree of a chain computed in memory from its sealed entries, leaf bytes as docs/decisions/0104 says. */
  async function treeInMemory(chain: string): Promise<InMemoryMerkleTree> {
    const tree = new InMemoryMerkleTree();
    for (const row of await sealedRows(dataSource, chain)) tree.append(leafOfRow(row));
    return tree;
  }

  async function storedNodes(): Promise<{ chain: string; level: number; idx: string; hash: string }[]> {
    return dataSource.query(
      `SELECT chain, level, idx::text AS idx, encode(hash, 'hex') AS hash FROM journal_merkle_nodes
        WHERE chain = ANY($1::text[]) ORDER BY chain, level, idx`,
      [chains],
    );
  }

  it('is extended by the sealer batch after batch: the stored root and proofs equal those of the leaves', async () => {
    // Uneven batches over three chains, sealed between them, so trees grow from sizes of every shape.
    for (const batch of [1, 2, 5, 1, 9, 4]) {
      for (let i = 0; i < batch; i++) {
        for (const [n, chain] of chains.entries()) if (i <= n * 2) await appendOne(transactions, journal, chain);
      }
      await journal.flush();
    }
    for (const chain of chains) {
      const tree = await treeInMemory(chain);
      const size = tree.size();
      expect(size).toBeGreaterThanOrEqual(6);
      for (const at of [1, 2, 3, Math.floor(size / 2), size]) {
        const stored = await withStoredTree(query, chain, at, (store) => rootAt(store, at));
        expect(stored.toString('hex')).toBe(rootAt(tree, at).toString('hex'));
      }
      const index = size - 3;
      const path = await withStoredTree(query, chain, size, (store) => inclusionProof(store, index, size));
      expect(path.map((h) => h.toString('hex'))).toEqual(inclusionProof(tree, index, size).map((h) => h.toString('hex')));
      // Every complete node is stored once: n + n/2 + n/4 + … rows.
      let expected = 0;
      for (let width = 1; width <= size; width *= 2) expected += Math.floor(size / width);
      const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM journal_merkle_nodes WHERE chain = $1`, [chain]);
      expect(count).toBe(expected);
      const [first] = await sealedRows(dataSource, chain);
      const [leaf] = await dataSource.query(
        `SELECT encode(hash, 'hex') AS hash FROM journal_merkle_nodes WHERE chain = $1 AND level = 0 AND idx = 0`,
        [chain],
      );
      expect(leaf.hash).toBe(leafHash(leafOfRow(first!)).toString('hex'));
    }
  });

  it('refuses to change or remove a stored node, like the rest of the journal', async () => {
    await expect(dataSource.query(`UPDATE journal_merkle_nodes SET hash = hash WHERE chain = $1`, [chains[0]])).rejects.toThrow(
      'the journal is append-only: UPDATE on journal_merkle_nodes is refused',
    );
    await expect(dataSource.query(`DELETE FROM journal_merkle_nodes WHERE chain = $1`, [chains[0]])).rejects.toThrow(
      'the journal is append-only: DELETE on journal_merkle_nodes is refused',
    );
  });

  it('is built for chains sealed before the table existed, node for node as the sealer builds it, then extended', async () => {
    const before = await storedNodes();
    expect(before.length).toBeGreaterThan(0);
    const sealer = testApp.app.get(JournalSealer);
    await sealer.stop();
    // The database as it was before the migrations: chains, no tree, no request salts.
    const migrations = [new JournalMerkleNodes1766110000000(), new JournalTreeV21766140000000()];
    const runner = dataSource.createQueryRunner();
    try {
      for (const migration of [...migrations].reverse()) await migration.down(runner);
      for (const migration of migrations) await migration.up(runner);
    } finally {
      await runner.release();
    }
    expect(await storedNodes()).toEqual([]);
    const added = await dataSource.transaction((manager) => catchUpTrees(manager));
    expect(added).toBeGreaterThanOrEqual(before.filter((n) => n.level === 0).length);
    // The same nodes; their hashes follow the salts the catch-up gave the older entries.
    const after = await storedNodes();
    expect(after.map(({ hash: _hash, ...key }) => key)).toEqual(before.map(({ hash: _hash, ...key }) => key));
    for (const chain of chains) {
      const rows = await sealedRows(dataSource, chain);
      expect(rows.every((row) => row.salt?.length === 16)).toBe(true);
      const tree = await treeInMemory(chain);
      const leaves = after.filter((n) => n.chain === chain && n.level === 0).sort((a, b) => Number(a.idx) - Number(b.idx));
      expect(leaves.map((n) => n.hash)).toEqual(
        rows.map((row) => leafHash(leafOfRow(row)).toString('hex')),
      );
      const root = await withStoredTree(query, chain, tree.size(), (store) => rootAt(store, tree.size()));
      expect(root).toEqual(rootAt(tree, tree.size()));
    }
    expect(await dataSource.transaction((manager) => catchUpTrees(manager))).toBe(0);

    sealer.start();
    for (const chain of chains) await appendOne(transactions, journal, chain);
    await journal.flush();
    for (const chain of chains) {
      const tree = await treeInMemory(chain);
      const root = await withStoredTree(query, chain, tree.size(), (store) => rootAt(store, tree.size()));
      expect(root).toEqual(rootAt(tree, tree.size()));
    }
  });

  it('upgrades to tree version 2 beside the existing tree: its nodes and notes stay, the new tree and the salts are built', async () => {
    const sealer = testApp.app.get(JournalSealer);
    await journal.checkpoint(chains);
    await sealer.stop();
    const nodesBefore: { count: number }[] = await dataSource.query(`SELECT count(*)::int AS count FROM journal_merkle_nodes`);
    const notesBefore: { chain: string; seq: string; note: string }[] = await dataSource.query(
      `SELECT chain, seq::text AS seq, note FROM journal_checkpoints WHERE chain = ANY($1::text[]) AND note IS NOT NULL ORDER BY chain, seq`,
      [chains],
    );
    expect(notesBefore.length).toBeGreaterThanOrEqual(chains.length);
    // Back to the schema before version 2 (the tree there becomes tree 1), then the upgrade as it runs on a populated database.
    const migration = new JournalTreeV21766140000000();
    const runner = dataSource.createQueryRunner();
    try {
      await migration.down(runner);
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    const [{ count: tree1 }]: { count: number }[] = await dataSource.query(`SELECT count(*)::int AS count FROM journal_merkle_nodes WHERE tree = 1`);
    expect(tree1).toBe(nodesBefore[0]!.count);
    expect(await dataSource.query(`SELECT count(*)::int AS count FROM journal_checkpoints WHERE tree IS NOT NULL`)).toEqual([{ count: 0 }]);
    // What a sequencer starting after the upgrade does before its first batch (this one caught up already, before it).
    const [{ count: entries }]: { count: number }[] = await dataSource.query(`SELECT count(*)::int AS count FROM journal_entries`);
    expect(await dataSource.transaction((manager) => catchUpTrees(manager))).toBe(entries);

    sealer.start();
    for (const chain of chains) await appendOne(transactions, journal, chain);
    await journal.flush();
    for (const chain of chains) {
      const rows = await sealedRows(dataSource, chain);
      const tree = await treeInMemory(chain);
      expect(tree.size()).toBe(rows.length);
      expect(await withStoredTree(query, chain, tree.size(), (store) => rootAt(store, tree.size()))).toEqual(rootAt(tree, tree.size()));
    }
    // Each chain idle since its last checkpoint got one entry saying so, whose checkpoint can carry a tree-2 note.
    const upgraded: { chain: string }[] = await dataSource.query(
      `SELECT chain FROM journal_entries WHERE action = 'journal.tree_upgraded' AND chain = ANY($1::text[]) ORDER BY chain`,
      [chains],
    );
    expect(upgraded.map((r) => r.chain)).toEqual([...chains].sort());
    // The notes signed before stay as they were; the next ones are over tree 2, under the new origin.
    expect(
      await dataSource.query(`SELECT chain, seq::text AS seq, note FROM journal_checkpoints WHERE chain = ANY($1::text[]) AND note IS NOT NULL AND tree IS NULL ORDER BY chain, seq`, [chains]),
    ).toEqual(notesBefore);
    const signed = await journal.checkpoint([chains[0]!]);
    const [latest]: { tree: number; note: string }[] = await dataSource.query(
      `SELECT tree, note FROM journal_checkpoints WHERE chain = $1 AND seq = $2`,
      [chains[0], signed[0]!.seq],
    );
    expect(latest!.tree).toBe(2);
    expect(latest!.note.split('\n')[0]).toMatch(new RegExp(`/journal/v2/${chains[0]}$`));
  });
});
