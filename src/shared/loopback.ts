import { createServer, isIP } from 'node:net';

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

/** True for an IPv4 or IPv6 loopback address (127.0.0.0/8, ::1, and 127.x mapped in IPv6). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address || !isIP(address)) return false;
  const v4 = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.split('.')[0] === '127';
  return address === '::1' || address === '0:0:0:0:0:0:0:1';
}
