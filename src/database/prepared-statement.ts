import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { QueryRunnerAlreadyReleasedError, type DataSource, type EntityManager } from 'typeorm';
import { isConnectionLost, neverSent } from './connection-loss.js';

/**
 * A statement of a hot path (run on every token, userinfo call, provider
 * page or journal entry), sent as a named prepared statement: PostgreSQL
 * parses and plans it once per connection instead of at every call.
 * Planning is most of what such statements cost the server (the provider's
 * account snapshot: about 0.6 ms planned each time, 0.12 ms prepared; see
 * docs/decisions/0004-prepared-statements-on-hot-paths.md).
 *
 * Only for fixed texts whose best plan does not depend on the values: after
 * five runs the server may keep one generic plan for every value. Queries
 * with optional filters (the supervision searches) stay unnamed.
 *
 * The embedded database (PGlite behind its socket) serves every connection
 * from one backend session, where a second connection's name would collide
 * with the first's: there, the same statements go unnamed.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

const defined = new Map<string, string>();

/** Declares a statement once, at module load; a name is bound to one text for the process's life. */
export function preparedStatement(name: string, text: string): PreparedStatement {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`prepared statement name ${name} must be snake_case`);
  const known = defined.get(name);
  if (known !== undefined && known !== text) throw new Error(`prepared statement ${name} is defined twice with different texts`);
  defined.set(name, text);
  return { name, text };
}

export interface PreparedResult<R> {
  rows: R[];
  rowCount: number;
}

/**
 * Runs a prepared statement through `manager`: on its transaction's
 * connection when it has one (the statement is part of the use case; if
 * that connection is gone, the statement fails), otherwise on any
 * connection of the pool, as `manager.query` would.
 *
 * Outside a transaction, a statement whose connection turns out to be lost
 * is sent once more on a fresh connection when that is safe: a read, or a
 * statement the driver never sent. (Inside a transaction, the whole use
 * case is retried instead: see TransactionRunner.)
 */
export async function runPrepared<R extends QueryResultRow = QueryResultRow>(
  manager: EntityManager,
  statement: PreparedStatement,
  values: readonly unknown[],
): Promise<PreparedResult<R>> {
  const runner = manager.queryRunner;
  if (runner) {
    // A transaction whose connection was lost (TypeORM releases the runner
    // when its connection fails): the statement must fail with it, never
    // run on another connection outside the transaction.
    if (runner.isReleased) throw new QueryRunnerAlreadyReleasedError();
    return runOnce<R>(manager, statement, values);
  }
  try {
    return await runOnce<R>(manager, statement, values);
  } catch (error) {
    const safe = isConnectionLost(error) && (/^\s*SELECT\b/i.test(statement.text) || neverSent(error));
    if (!safe) throw error;
    return runOnce<R>(manager, statement, values);
  }
}

async function runOnce<R extends QueryResultRow>(
  manager: EntityManager,
  statement: PreparedStatement,
  values: readonly unknown[],
): Promise<PreparedResult<R>> {
  const named = await namesAllowed(manager);
  const config = { ...(named ? { name: statement.name } : {}), text: statement.text, values: values as unknown[] };
  const runner = manager.queryRunner;
  const result = runner
    ? await ((await runner.connect()) as PoolClient).query<R>(config)
    : await (manager.connection.driver as unknown as { master: Pool }).master.query<R>(config);
  return { rows: result.rows, rowCount: result.rowCount ?? 0 };
}

const namesAllowedBy = new WeakMap<DataSource, Promise<boolean>>();

/** Whether the server keeps one session per connection (asked once per data source, on the caller's own connection). */
function namesAllowed(manager: EntityManager): Promise<boolean> {
  let known = namesAllowedBy.get(manager.connection);
  if (!known) {
    known = manager.query(`SELECT version() AS version`).then(
      (rows: { version: string }[]) => !rows[0]!.version.includes('PGlite'),
      (error: unknown) => {
        namesAllowedBy.delete(manager.connection);
        throw error;
      },
    );
    namesAllowedBy.set(manager.connection, known);
  }
  return known;
}
