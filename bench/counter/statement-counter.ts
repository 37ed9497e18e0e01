/**
 * Loaded into the application's process by the counter benchmark
 * (`node --import <this file> dist/src/main.js`), never by the service
 * itself: counts the statements the process sends to PostgreSQL (every
 * `pg` client query: the ORM's, the journal sequencer's, the OIDC
 * adapter's, transaction control included) and answers the benchmark's
 * `{ statements: true }` message on the IPC channel with the count so far.
 */
import pg from 'pg';

let statements = 0;
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
  statements++;
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

process.on('message', (message: unknown) => {
  if ((message as { statements?: boolean } | null)?.statements) process.send?.({ statements });
});
// The channel must not keep the process alive once the service has stopped.
process.channel?.unref();
