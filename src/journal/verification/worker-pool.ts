import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { checkCopyRun, type RunCheck, type RunJob, type RunReply } from './run-check.js';

/** The worker's script, beside this file once compiled (absent when running from TypeScript sources, as tests do). */
const WORKER_SCRIPT = new URL('./worker.js', import.meta.url);

interface Waiting {
  resolve: (run: RunCheck) => void;
  reject: (error: Error) => void;
}

/**
 * A small pool of worker threads checking runs of entries for verification
 * (docs/decisions/0102-journal-hash-form.md): each run is checked from its own
 * first `prev_hash`, so runs of one chain are independent and many can be
 * checked at once; the caller links them in order. With no thread (`size`
 * 0, or no compiled worker script) runs are checked in the caller's thread.
 * Each worker takes one run at a time; the queue holds what the caller has
 * read ahead, which the caller bounds.
 */
export class VerifyPool {
  private readonly idle: Worker[] = [];
  private readonly workers: Worker[] = [];
  private readonly queue: { job: RunJob; waiting: Waiting }[] = [];
  private readonly running = new Map<Worker, Waiting>();
  private nextId = 0;
  private failure: Error | null = null;

  constructor(size: number, script: URL = WORKER_SCRIPT, execArgv?: string[]) {
    if (size > 0 && !existsSync(fileURLToPath(script))) return;
    for (let i = 0; i < size; i++) {
      const worker = new Worker(script, execArgv ? { execArgv } : undefined);
      worker.on('message', (reply: RunReply) => this.answer(worker, reply));
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', () => {
        if (this.running.has(worker)) this.fail(new Error('a journal verification thread stopped during a run'));
      });
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  /** Threads actually running (0: runs are checked in the caller's thread). */
  get threads(): number {
    return this.workers.length;
  }

  /** Checks a run of COPY lines of `chain` (see checkCopyRun); `bytes` is handed over to the worker. */
  check(chain: string, bytes: Uint8Array, marks: readonly number[]): Promise<RunCheck> {
    if (this.workers.length === 0) return Promise.resolve().then(() => checkCopyRun(chain, bytes, marks));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, chain, bytes, marks }, waiting: { resolve, reject } });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const { job, waiting } = this.queue.shift()!;
      this.running.set(worker, waiting);
      // Handed over, not copied, when the bytes own their whole buffer.
      const own = job.bytes.byteOffset === 0 && job.bytes.byteLength === job.bytes.buffer.byteLength;
      worker.postMessage(job, own ? [job.bytes.buffer as ArrayBuffer] : []);
    }
  }

  private answer(worker: Worker, reply: RunReply): void {
    const waiting = this.running.get(worker);
    this.running.delete(worker);
    this.idle.push(worker);
    if ('error' in reply) waiting?.reject(new Error(reply.error));
    else waiting?.resolve(reply.run);
    this.dispatch();
  }

  /** A worker died (not a broken chain: an error in the thread itself): every run waiting fails. */
  private fail(error: Error): void {
    this.failure = error;
    for (const waiting of this.running.values()) waiting.reject(error);
    for (const { waiting } of this.queue.splice(0)) waiting.reject(error);
    this.running.clear();
  }
}
