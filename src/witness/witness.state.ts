/**
 * The witness's memory: for each log origin, the latest checkpoint it
 * cosigned (size, root hash, the note with the log's signatures and its own
 * cosignature), and its key when it generated one. One JSON file, replaced
 * whole on each change (written beside it, flushed to disk, renamed over
 * it, directory flushed), so a crash leaves either the old state or the new
 * one, and a cosignature is never sent before its size is on disk.
 *
 * One witness process per state file: the check of the old size and the
 * write happen in one synchronous step of that process, which is what makes
 * them atomic (C2SP tlog-witness asks for that).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface CosignedCheckpoint {
  size: number;
  /** Base64 root hash. */
  rootHash: string;
  /** The checkpoint note as cosigned: log signatures and this witness's cosignature. */
  note: string;
  /** ISO time of the cosignature. */
  cosignedAt: string;
}

interface StateData {
  version: 1;
  /** The witness's signer key, only when it generated it (a configured key is never written). */
  generatedKey?: string;
  logs: Record<string, CosignedCheckpoint>;
}

function isRecord(value: unknown): value is CosignedCheckpoint {
  const r = value as CosignedCheckpoint;
  return (
    typeof r === 'object' && r !== null && Number.isSafeInteger(r.size) && r.size >= 0 &&
    typeof r.rootHash === 'string' && typeof r.note === 'string' && typeof r.cosignedAt === 'string'
  );
}

function parseState(text: string, file: string): StateData {
  let data: StateData;
  try {
    data = JSON.parse(text) as StateData;
  } catch {
    throw new Error(`witness state ${file} is not JSON: restore it from a backup rather than starting afresh`);
  }
  const valid =
    data?.version === 1 &&
    typeof data.logs === 'object' && data.logs !== null &&
    Object.values(data.logs).every(isRecord) &&
    (data.generatedKey === undefined || typeof data.generatedKey === 'string');
  if (!valid) throw new Error(`witness state ${file} does not have the expected shape (version 1)`);
  return data;
}

export class WitnessState {
  private constructor(
    private readonly file: string,
    private data: StateData,
  ) {}

  /** Reads the state file, or starts an empty state when there is none yet. */
  static open(file: string): WitnessState {
    mkdirSync(dirname(file), { recursive: true });
    if (!existsSync(file)) return new WitnessState(file, { version: 1, logs: {} });
    return new WitnessState(file, parseState(readFileSync(file, 'utf8'), file));
  }

  get generatedKey(): string | undefined {
    return this.data.generatedKey;
  }

  saveGeneratedKey(signerKey: string): void {
    this.replace({ ...this.data, generatedKey: signerKey });
  }

  latest(origin: string): CosignedCheckpoint | undefined {
    return Object.hasOwn(this.data.logs, origin) ? this.data.logs[origin] : undefined;
  }

  origins(): string[] {
    return Object.keys(this.data.logs);
  }

  record(origin: string, checkpoint: CosignedCheckpoint): void {
    this.replace({ ...this.data, logs: { ...this.data.logs, [origin]: checkpoint } });
  }

  /** Durable first, then visible: memory changes only once the file is replaced. */
  private replace(next: StateData): void {
    const temporary = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(next, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.file);
    const directory = openSync(dirname(this.file), 'r');
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
    this.data = next;
  }
}
