import { freeLoopbackPort } from '../../src/shared/loopback.js';
import type { INestApplication } from '@nestjs/common';
import { loadConfig, type AppConfig, type Environment } from '../../config/config.js';
import { createApp, type CreateAppOptions, type RunningApp } from '../../src/app.factory.js';
import { simulatorClientFrom, type FcSimulator } from '../../src/fc-simulator/fc-simulator.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface TestApp {
  app: INestApplication;
  /** The configuration the app runs with (FranceConnect issuer filled in when the simulator runs). */
  config: AppConfig;
  database: TestDatabase;
  /** The FranceConnect simulator on a free loopback port, unless FC_ISSUER was given. */
  simulator: FcSimulator | undefined;
  /** The demo partner service on a free loopback port (outside production). */
  demoPartner?: RunningApp['demoPartner'];
  /** Base URL of the app listening on a free loopback port. */
  url: string;
  close(): Promise<void>;
}

/**
 * The real application on a fresh database, listening on a free loopback
 * port, with the FranceConnect simulator on another free port unless
 * `FC_ISSUER` is given. `env` overrides the test defaults (quiet logs, a free
 * port, PUBLIC_URL `http://127.0.0.1:<port>`);
 * `options` replaces parts such as the clock.
 */
export async function startTestApp(env: Environment = {}, options: CreateAppOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  // A free port chosen before start, so that PUBLIC_URL (FranceConnect's
  // redirect URIs, the provider's issuer) names the address the app really has.
  const port = env.PORT !== undefined && env.PORT !== '0' ? Number(env.PORT) : await freeLoopbackPort();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    FC_SIMULATOR_PORT: '0',
    DEMO_PARTNER_PORT: '0',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...env,
    // PGlite serves one statement at a time and interleaves the protocol
    // messages of concurrent connections outside transactions: one connection.
    ...(database.kind === 'pglite' ? { DATABASE_POOL_SIZE: '1' } : {}),
    PORT: String(port),
    DATABASE_URL: database.url,
  });
  let running: RunningApp | undefined;
  try {
    running = await createApp(config, options);
    await running.app.listen(port, '127.0.0.1');
    const url = `http://127.0.0.1:${port}`;
    if (running.simulator) {
      // PUBLIC_URL cannot name a port chosen at listen time: register the
      // app's real URIs (one host only: the simulator's subjects are pairwise).
      await running.simulator.registerClient(simulatorClientFrom({ ...running.config, publicUrl: url }));
    }
    return {
      app: running.app,
      config: running.config,
      database,
      simulator: running.simulator,
      demoPartner: running.demoPartner,
      url,
      close: async () => {
        await running?.close();
        await database.drop();
      },
    };
  } catch (error) {
    await running?.close();
    await database.drop();
    throw error;
  }
}
