import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The lock file inside the embedded database's data directory. */
export const LOCK_FILE = 'procuration.lock';

/** What the process holding a data directory says about itself. */
export interface LockHolder {
  pid: number;
  /** Start time of the process (Linux clock ticks since boot), to tell a reused pid from the holder. */
  startTicks: string | undefined;
  /** The command line that opened the directory (`node dist/src/main.js`…), for the refusal message. */
  command: string;
  startedAt: string;
  /** Owner-only directory of the embedded server's Unix socket, once it listens. */
  socketDir: string | undefined;
}

/** Another live process holds the data directory: one French line naming it. */
export class DataDirectoryInUseError extends Error {
  override name = 'DataDirectoryInUseError';
  constructor(readonly dataDir: string, readonly holder: LockHolder) {
    super(
      `Le répertoire de données ${dataDir} est déjà ouvert par le processus ${holder.pid} (${holder.command}, depuis ${holder.startedAt}) : ` +
        'un seul processus peut l’ouvrir ; arrêtez-le ou choisissez un autre DATA_DIR.',
    );
  }
}

/** Lock files held by this process (a second open in the same process is refused too). */
const heldHere = new Set<string>();

/**
 * The process's start time from `/proc` (field 22 of `stat`), or undefined
 * where there is no `/proc`. A pid found alive with another start time was
 * reused by an unrelated process after the holder died.
 */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count after its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(holder: LockHolder): boolean {
  // 0 and negative pids name process groups for kill(): never a holder.
  if (!Number.isInteger(holder.pid) || holder.pid <= 0) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: the pid exists but belongs to another user, so it is alive.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const ticks = processStartTicks(holder.pid);
  return holder.startTicks === undefined || ticks === undefined || ticks === holder.startTicks;
}

function read(path: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Half-written or foreign content: treated as a dead holder's.
    return { pid: 0, startTicks: undefined, command: '?', startedAt: '?', socketDir: undefined };
  }
}

/** Creates `path` with `content` only if it does not exist (atomic), owner-only. */
function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * The live process holding `dataDir`, if any (this process included). A lock
 * left by a dead process does not count.
 */
export function lockHolder(dataDir: string): LockHolder | undefined {
  const path = join(dataDir, LOCK_FILE);
  const holder = read(path);
  if (!holder) return undefined;
  if (holder.pid === process.pid) return heldHere.has(path) ? holder : undefined;
  return alive(holder) ? holder : undefined;
}

/**
 * Exclusive ownership of an embedded data directory by this process: PGlite
 * keeps its pages in memory and writes them back on its own schedule, so two
 * processes on one directory silently lose each other's writes.
 */
export class DataDirLock {
  private constructor(
    private readonly path: string,
    private holder: LockHolder,
  ) {}

  /**
   * Takes the directory (which must exist), or throws DataDirectoryInUseError
   * naming the live holder. A lock whose process is dead is taken over.
   */
  static acquire(dataDir: string): DataDirLock {
    const path = join(dataDir, LOCK_FILE);
    const mine: LockHolder = {
      pid: process.pid,
      startTicks: processStartTicks(process.pid),
      command: `${process.argv0} ${process.argv.slice(1).join(' ')}`.slice(0, 200),
      startedAt: new Date().toISOString(),
      socketDir: undefined,
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      if (createExclusive(path, JSON.stringify(mine))) {
        heldHere.add(path);
        return new DataDirLock(path, mine);
      }
      const live = lockHolder(dataDir);
      if (live) throw new DataDirectoryInUseError(dataDir, live);
      DataDirLock.removeStale(path);
    }
    throw new Error(`could not take the lock ${path}`);
  }

  /**
   * Removes a dead holder's lock. Only one process at a time may do it (a
   * second lock file, itself taken over when its owner died), and only if the
   * lock still names the same dead holder, so a lock just created by a
   * process that won the race is never removed.
   */
  private static removeStale(path: string): void {
    const guard = `${path}.takeover`;
    const stale = read(path);
    if (!createExclusive(guard, String(process.pid))) {
      const owner = Number(readFileSync(guard, 'utf8'));
      if (owner && owner !== process.pid && isPidAlive(owner)) return;
      unlinkSync(guard);
      return;
    }
    try {
      const now = read(path);
      if (now && stale && now.pid === stale.pid && now.startedAt === stale.startedAt) unlinkSync(path);
    } finally {
      unlinkSync(guard);
    }
  }

  /** Says where the embedded server listens, for the commands that come through it. */
  publish(socketDir: string): void {
    this.holder = { ...this.holder, socketDir };
    const temporary = `${this.path}.${process.pid}`;
    writeFileSync(temporary, JSON.stringify(this.holder), { mode: 0o600 });
    renameSync(temporary, this.path);
  }

  release(): void {
    heldHere.delete(this.path);
    const current = read(this.path);
    if (current?.pid === this.holder.pid && current.startedAt === this.holder.startedAt) unlinkSync(this.path);
  }
}

function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
