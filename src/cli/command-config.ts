import { withFranceConnectIssuer, type AppConfig } from '../../config/config.js';
import type { DatabaseHandle } from '../database/database-url.js';
import { poolSizeFor } from '../database/database-url.js';
import { SIMULATOR_BASE_PATH } from '../fc-simulator/fc-simulator.js';

/**
 * The configuration an operator command builds the application with. No
 * command talks to FranceConnect, yet its client is part of the application
 * and needs an issuer: without FC_ISSUER (development and tests only;
 * production requires it) it names where `npm start` runs the simulator,
 * which is never contacted. On PGlite the command gets one connection, as the
 * service does.
 */
export function commandConfig(config: AppConfig, database: DatabaseHandle): AppConfig {
  const issuer = config.franceConnect.issuer ?? `http://127.0.0.1:${config.franceConnect.simulatorPort}${SIMULATOR_BASE_PATH}`;
  const withIssuer = withFranceConnectIssuer(config, issuer);
  return Object.freeze({ ...withIssuer, databasePoolSize: poolSizeFor(config, database) });
}
