import type { INestApplication } from '@nestjs/common';
import { loadConfig, type AppConfig, type Environment } from '../../config/config.js';
import { createApp, type CreateAppOptions } from '../../src/app.factory.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  database: TestDatabase;
  /** Base URL of the app listening on a free loopback port. */
  url: string;
  close(): Promise<void>;
}

/**
 * The real application on a fresh database, listening on a free loopback
 * port. `env` overrides the test defaults (quiet logs, port 0); `options`
 * replaces parts such as the clock.
 */
export async function startTestApp(env: Environment = {}, options: CreateAppOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PORT: '0',
    FC_SIMULATOR_PORT: '0',
    ...env,
    DATABASE_URL: database.url,
  });
  try {
    const running = await createApp(config, options);
    await running.app.listen(0, '127.0.0.1');
    const address = running.app.getHttpServer().address() as { port: number };
    return {
      app: running.app,
      config,
      database,
      url: `http://127.0.0.1:${address.port}`,
      close: async () => {
        await running.close();
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}
