import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { JournalService } from '../../src/journal/journal.service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const ROOT = new URL('../../', import.meta.url);

describe('journal: a crash in the middle of appends', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({ DATABASE_POOL_SIZE: '4' });
  });
  afterAll(() => testApp.close());

  it('loses no committed entry and leaves no fork after the process is killed (SIGKILL)', async () => {
    const dataSource = testApp.app.get(DataSource);
    const journal = testApp.app.get(JournalService);
    const structures = Array.from({ length: 4 }, () => randomUUID());
    const child = spawn(
      process.execPath,
      ['--import', './test/journal/fixtures/ts-register.mjs', 'test/journal/fixtures/append-until-killed.ts', testApp.database.url, ...structures],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
    );
    const committed: string[] = [];
    let errors = '';
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.startsWith('committed ')) committed.push(line.slice('committed '.length));
    });
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));

    // Kill it while it appends and its sequencer seals (some entries already sealed, others pending).
    const deadline = Date.now() + 40000;
    let sealed = 0;
    while ((committed.length < 150 || sealed === 0) && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      [{ sealed }] = await dataSource.query(`SELECT count(*)::int AS sealed FROM journal_entries`);
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(errors).toBe('');
    expect(committed.length).toBeGreaterThanOrEqual(150);

    // "Restart": this process's sequencer takes over what was left pending.
    await journal.flush();
    const found: { id: string }[] = await dataSource.query(`SELECT id FROM journal_entries WHERE id = ANY($1::uuid[])`, [committed]);
    expect(found).toHaveLength(committed.length);
    const [{ pending }] = await dataSource.query(`SELECT count(*)::int AS pending FROM journal_pending`);
    expect(pending).toBe(0);
    const report = await journal.verify();
    expect(report.broken).toBeNull();
    expect(report).toMatchObject({ ok: true, chains: 4 });
    expect(report.entries).toBeGreaterThanOrEqual(committed.length);
    expect(report.checkpoints).toBeGreaterThan(0);
  }, 120000);
});
