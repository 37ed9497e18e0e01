/**
 * Errors that mean "the connection was gone", not "the statement was wrong":
 * the server ended the backend (`pg_terminate_backend`, a failover, a
 * pooler restart: SQLSTATE class 57P), or the socket closed under the
 * driver. Looked for through TypeORM's `driverError` and `cause` chains.
 */
const LOST_STATES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006']);
const LOST_MESSAGES = [
  /Connection terminated/i,
  /Client has encountered a connection error and is not queryable/i,
  /terminating connection due to administrator command/i,
  /Client was closed and is not queryable/i,
];
const LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED']);

export function isConnectionLost(error: unknown): boolean {
  let current = error;
  for (let depth = 0; current !== null && typeof current === 'object' && depth < 5; depth += 1) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (LOST_STATES.has(code) || LOST_CODES.has(code))) return true;
    if (typeof message === 'string' && LOST_MESSAGES.some((pattern) => pattern.test(message))) return true;
    const inner = current as { driverError?: unknown; cause?: unknown };
    current = inner.driverError ?? inner.cause;
  }
  return false;
}

/**
 * The driver refused to send the statement because the connection was
 * already known to be gone (the server never saw it): retrying it cannot
 * do anything twice, even a COMMIT or a write.
 */
export function neverSent(error: unknown): boolean {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  if (name === 'QueryRunnerAlreadyReleasedError') return true;
  return typeof message === 'string' && /not queryable/i.test(message);
}
