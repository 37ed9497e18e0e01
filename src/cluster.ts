import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';

/** A worker that stops within this long after it started listening is restarted after a growing pause. */
const QUICK_FAILURE_MS = 10_000;
const RESTART_PAUSE_MS = [0, 1_000, 5_000, 30_000] as const;

export class WorkerStartError extends Error {
  override readonly name = 'WorkerStartError';
}

/**
 * The primary process of `WEB_CONCURRENCY` > 1 (docs/decisions/0014-worker-processes.md).
 * It holds no application state and opens no database connection: it forks
 * the workers, which each run the whole service and share the HTTP port
 * (node:cluster hands each accepted connection to the next worker), restarts
 * a worker that stops, and on SIGTERM or SIGINT asks each worker to drain.
 *
 * The workers start one after the other, the next once the previous
 * listens: the first one alone applies pending migrations and creates
 * missing service keys, so two processes never migrate at once.
 * Resolves once every worker listens; rejects (the others asked to stop)
 * when one stops before it listens.
 */
export async function startWorkers(count: number, logger: Logger): Promise<void> {
  let stopping = false;
  let lastFailureAt = 0;
  let failuresInARow = 0;

  const fork = (): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork();
      const startedAt = Date.now();
      const onExit = (code: number | null, signal: string | null) => {
        worker.off('listening', onListening);
        reject(new WorkerStartError(`a worker process stopped before it listened (${signal ?? `exit ${code}`})`));
      };
      const onListening = () => {
        worker.off('exit', onExit);
        worker.once('exit', (code, signal) => void restart(worker, startedAt, code, signal));
        resolve(worker);
      };
      worker.once('exit', onExit);
      worker.once('listening', onListening);
    });

  const restart = async (worker: Worker, startedAt: number, code: number | null, signal: string | null): Promise<void> => {
    if (stopping) return;
    const now = Date.now();
    failuresInARow = now - startedAt < QUICK_FAILURE_MS || now - lastFailureAt < QUICK_FAILURE_MS ? failuresInARow + 1 : 0;
    lastFailureAt = now;
    const pause = RESTART_PAUSE_MS[Math.min(failuresInARow, RESTART_PAUSE_MS.length - 1)]!;
    logger.error(`worker process ${worker.process.pid} stopped (${signal ?? `exit ${code}`}); another starts in ${pause / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, pause));
    if (stopping) return;
    try {
      const replacement = await fork();
      logger.info(`worker process ${replacement.process.pid} listening`);
    } catch (error) {
      // The worker printed why it stopped; the pause grows with each failure in a row.
      logger.error((error as Error).message);
      if (!stopping) void restart(worker, Date.now(), null, 'start failed');
    }
  };

  /** Asks every worker to drain (each closes its server and database connections: main.ts), then exits once all have. */
  const stop = (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    logger.info(`${reason}: asking ${workers.length} worker process(es) to drain their requests`);
    let left = workers.length;
    if (left === 0) process.exit(exitCode);
    for (const worker of workers) {
      worker.once('exit', () => {
        left -= 1;
        if (left === 0) process.exit(exitCode);
      });
      worker.process.kill('SIGTERM');
    }
  };
  process.once('SIGTERM', () => stop('SIGTERM received', 0));
  process.once('SIGINT', () => stop('SIGINT received', 0));

  for (let i = 0; i < count; i++) {
    try {
      await fork();
    } catch (error) {
      // The worker printed why; those already listening have served nothing yet.
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      throw error;
    }
  }
  logger.info(`${count} worker processes listening (${Object.values(cluster.workers ?? {}).map((w) => w?.process.pid).join(', ')})`);
}
