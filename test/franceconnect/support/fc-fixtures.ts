import { createServer } from 'node:net';
import { startFcSimulator, type FcSimulator, type SimulatorClient } from '../../../src/fc-simulator/fc-simulator.js';

/** The relying party's addresses in these suites (never fetched: the test calls `handleCallback` itself). */
export const RP_ORIGIN = 'http://127.0.0.1:3999';
export const REDIRECT_URI = `${RP_ORIGIN}/franceconnect/callback`;
export const LOGOUT_URI = `${RP_ORIGIN}/franceconnect/deconnexion`;

export const TEST_CLIENT: SimulatorClient = {
  clientId: 'procuration-test',
  clientSecret: 'test-only-fc-secret-0123456789',
  redirectUris: [REDIRECT_URI],
  postLogoutRedirectUris: [LOGOUT_URI],
  clientName: 'Procuration (tests)',
};

export function startTestSimulator(options: { acceptPkce?: boolean } = {}): Promise<FcSimulator> {
  return startFcSimulator({ port: 0, nodeEnv: 'test', clients: [TEST_CLIENT], ...options });
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The payload of a compact JWS, unverified (for assertions on what was already verified). */
export function payloadOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function headerOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8')) as Record<string, unknown>;
}
