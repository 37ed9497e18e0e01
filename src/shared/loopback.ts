import { createServer } from 'node:net';

/**
 * A loopback port free right now (bound, then released), for a server whose
 * address must be known before it listens (an issuer URL, say). Used by the
 * benchmarks and the test harness.
 */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
