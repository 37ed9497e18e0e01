import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { DataDirectoryInUseError, DataDirLock, LOCK_FILE, lockHolder, processStartTicks } from './data-dir-lock.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'procuration-lock-'));

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

function writeLock(dir: string, holder: Record<string, unknown>): void {
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ command: 'node dist/src/main.js', startedAt: '2026-12-01T08:00:00.000Z', socketDir: undefined, ...holder }));
}

describe('DataDirLock', () => {
  it('is taken by one holder; a second attempt is refused, naming the holder', () => {
    const dir = fresh();
    const lock = DataDirLock.acquire(dir);
    expect(statSync(join(dir, LOCK_FILE)).mode & 0o777).toBe(0o600);
    expect(lockHolder(dir)).toMatchObject({ pid: process.pid });
    expect(() => DataDirLock.acquire(dir)).toThrow(DataDirectoryInUseError);
    expect(() => DataDirLock.acquire(dir)).toThrow(`par le processus ${process.pid}`);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(lockHolder(dir)).toBeUndefined();
    DataDirLock.acquire(dir).release();
  });

  it('is refused while another live process holds it', () => {
    const dir = fresh();
    writeLock(dir, { pid: process.ppid, startTicks: processStartTicks(process.ppid) });
    expect(() => DataDirLock.acquire(dir)).toThrow(`par le processus ${process.ppid} (node dist/src/main.js, depuis 2026-12-01T08:00:00.000Z)`);
  });

  it.each([
    ['a dead process', () => ({ pid: deadPid(), startTicks: undefined })],
    ['a reused pid (another start time)', () => ({ pid: process.ppid, startTicks: '1' })],
    ['this very process in an earlier life (same pid in a restarted container)', () => ({ pid: process.pid, startTicks: undefined })],
  ])('takes over a lock left by %s', (_label, holder) => {
    const dir = fresh();
    writeLock(dir, holder());
    expect(lockHolder(dir)).toBeUndefined();
    const lock = DataDirLock.acquire(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it('takes over an unreadable lock file', () => {
    const dir = fresh();
    writeFileSync(join(dir, LOCK_FILE), '{"pid": 12');
    DataDirLock.acquire(dir).release();
  });

  it('publishes where its server listens', () => {
    const dir = fresh();
    const lock = DataDirLock.acquire(dir);
    lock.publish('/tmp/procuration-db-abc');
    expect(lockHolder(dir)).toMatchObject({ pid: process.pid, socketDir: '/tmp/procuration-db-abc' });
    lock.release();
  });

  it('reads the start time of a live process and none of a dead one', () => {
    expect(processStartTicks(process.pid)).toMatch(/^\d+$/);
    expect(processStartTicks(deadPid())).toBeUndefined();
  });
});
