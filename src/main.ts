import { Logger } from '@nestjs/common';
import { ConfigError, loadConfigFromProcess } from '../config/config.js';
import { createApp } from './app.factory.js';
import { FcSimulatorStartError } from './fc-simulator/fc-simulator.js';
import { seedDemoPartner } from './seed/demo-partner-seed.js';
import { demoCredentialsText, runDemoSeed } from './seed/demo-seed.js';

async function main(): Promise<void> {
  const config = loadConfigFromProcess();
  const running = await createApp(config);
  if (config.demoSeed) {
    const { created } = await runDemoSeed(running.app, config.nodeEnv);
    new Logger('DemoSeed').log(`demo seed applied (${created} new records)`);
    if (running.demoPartner) await seedDemoPartner(running.app, config.nodeEnv, running.demoPartner);
  }
  await running.app.listen(config.port, config.host);
  const logger = new Logger('Procuration');
  logger.log(`listening on ${config.host}:${config.port}`);
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
  if (error instanceof ConfigError || error instanceof FcSimulatorStartError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Procuration failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  process.exit(1);
});
