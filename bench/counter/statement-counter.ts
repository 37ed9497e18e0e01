/**
 * Loaded into the application's process by the counter benchmark
 * (`node --import <this file> dist/src/main.js`), never by the service
 * itself: counts the statements the process sends to PostgreSQL (every
 * `pg` client query: the ORM's, the journal sequencer's, the OIDC
 * adapter's, transaction control included) and answers the benchmark's
 * `{ statements: true }` message on the IPC channel with the count so far.
 * With WEB_CONCURRENCY > 1 the workers inherit the primary's `--import`:
 * the primary asks each worker and answers with the sum.
 */
import cluster, { type Worker } from 'node:cluster';
import pg from 'pg';

let statements = 0;
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
  statements++;
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

function countOf(worker: Worker): Promise<number> {
  return new Promise((resolve) => {
    const listen = (message: unknown) => {
      const count = (message as { statements?: number } | null)?.statements;
      if (typeof count !== 'number') return;
      worker.off('message', listen);
      worker.off('exit', gone);
      resolve(count);
    };
    // A worker that stopped meanwhile counts no more (its statements are lost to the sum).
    const gone = () => resolve(0);
    worker.on('message', listen);
    worker.once('exit', gone);
    worker.send({ statements: true });
  });
}

process.on('message', (message: unknown) => {
  if (!(message as { statements?: boolean } | null)?.statements) return;
  const workers = cluster.isPrimary ? Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined) : [];
  void Promise.all(workers.map(countOf)).then((counts) => process.send?.({ statements: counts.reduce((a, b) => a + b, statements) }));
});
// The channel must not keep the service's process alive once it has stopped (a worker's is node:cluster's own).
if (!cluster.isWorker) process.channel?.unref();
