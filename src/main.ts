import cluster from 'node:cluster';
import { Logger } from '@nestjs/common';
import { pino } from 'pino';
import { ConfigError, loadConfigFromProcess, type AppConfig } from '../config/config.js';
import { startWorkers } from './cluster.js';
import { assertDataDirectoryFree } from './database/database-url.js';

/** WEB_CONCURRENCY > 1: this process only starts and watches the workers, which run main() below. */
async function primary(config: AppConfig): Promise<void> {
  const logger = pino({ level: config.logLevel }).child({ context: 'Cluster' });
  logger.info(`starting ${config.webConcurrency} worker processes`);
  await startWorkers(config.webConcurrency, logger);
  process.stdout.write(`\nProcuration est prête : ${config.publicUrl} (${config.webConcurrency} processus)\n\n`);
}

async function main(): Promise<void> {
  const config = loadConfigFromProcess();
  assertDataDirectoryFree(config);
  if (config.webConcurrency > 1 && cluster.isPrimary) return primary(config);
  // The rest is loaded only once the configuration is valid, so that a bad
  // configuration prints its one line and nothing else (libraries such as
  // oidc-provider print warnings when they load).
  const { createApp } = await import('./app.factory.js');
  const { demoCredentialsText, runDemoSeed } = await import('./seed/demo-seed.js');
  const { seedDemoPartner } = await import('./seed/demo-partner-seed.js');
  const running = await createApp(config);
  if (config.demoSeed) {
    const { created } = await runDemoSeed(running.app, config.nodeEnv);
    new Logger('DemoSeed').log(`demo seed applied (${created} new records)`);
    if (running.demoPartner) await seedDemoPartner(running.app, config.nodeEnv, running.demoPartner);
  }
  await running.app.listen(config.port, config.host);
  const logger = new Logger('Procuration');
  logger.log(`listening on ${config.host}:${config.port}`);
  // The primary announces the service once all its workers listen.
  if (cluster.isWorker) return installStop(running, logger);
  // A plain line for the person who just typed `npm start`.
  process.stdout.write(`\nProcuration est prête : ${config.publicUrl}\n`);
  if (running.simulator) {
    process.stdout.write(`Simulateur FranceConnect (identités fictives) : ${running.simulator.issuer}\n`);
  }
  if (running.demoPartner) {
    process.stdout.write(`Service partenaire de démonstration (« Se connecter avec Procuration ») : ${running.demoPartner.url}\n`);
  }
  process.stdout.write('\n');
  if (config.demoSeed) process.stdout.write(`${demoCredentialsText(config.publicUrl)}\n\n`);
  installStop(running, logger);
}

function installStop(running: { close(): Promise<void> }, logger: Logger): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: draining requests, closing the database and the FranceConnect simulator`);
    await running.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  // Errors a person can fix print one line; anything else, its stack.
  const expected =
    error instanceof ConfigError ||
    ['FcSimulatorStartError', 'FranceConnectStartupError', 'DataDirectoryInUseError', 'WorkerStartError'].includes((error as Error)?.name);
  if (expected) {
    process.stderr.write(`${(error as Error).message}\n`);
  } else {
    process.stderr.write(`Procuration failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  process.exit(1);
});
