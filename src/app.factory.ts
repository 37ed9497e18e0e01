import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { withFranceConnectIssuer, type AppConfig } from '../config/config.js';
import { AppModule } from './app.module.js';
import type { Clock } from './clock/clock.js';
import { openDatabase, type DatabaseHandle } from './database/database-url.js';
import { startDemoPartnerIfNeeded, type DemoPartner } from './demo-partner/demo-partner.js';
import { mountProvider } from './provider/provider.mount.js';
import { startSimulatorIfNeeded, type FcSimulator } from './fc-simulator/fc-simulator.js';
import { FranceConnectStatusService } from './franceconnect/franceconnect-status.service.js';
import { configureSessions } from './sessions/sessions.js';
import { SAME_ORIGIN_CSP_DIRECTIVES } from './web/content-security-policy.js';
import { csrfLocals } from './web/csrf.js';
import { noStoreByDefault } from './web/cache-policy.js';
import { publicHostOnly } from './web/public-host.js';
import { configureWebShell, STATIC_PREFIXES } from './web/web-shell.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journalNoteKeyName, journalNoteVerifierKeys } from './journal/checkpoints/checkpoint-notes.js';
import { JournalWitnessSender } from './journal/witnesses/witness-sender.js';
import { KeysService } from './keys/keys.service.js';
import { startWitness, type RunningWitness } from './witness/witness.server.js';

export interface RunningApp {
  app: NestExpressApplication;
  database: DatabaseHandle;
  /** The configuration the app runs with (FranceConnect issuer filled in when the simulator runs). */
  config: AppConfig;
  /** The local FranceConnect simulator, when FC_ISSUER is unset outside production. */
  simulator: FcSimulator | undefined;
  /** The demo partner service (outside production), on DEMO_PARTNER_PORT. */
  demoPartner: DemoPartner | undefined;
  /** The local journal witness of development (none when JOURNAL_WITNESSES is set). */
  localWitness: RunningWitness | undefined;
  /** Stops taking requests, lets those in flight finish, closes the database and the simulator. */
  close(): Promise<void>;
}

/**
 * The one CSP of every page (ours and the provider's): only our own origin
 * (and FranceConnect as a form's final destination), no inline script or
 * style, no `<base>` at all. Only the provider's logout page widens
 * `form-action`, to the partners' registered post-logout origins.
 */
function helmetOptions(config: AppConfig): Parameters<typeof helmet>[0] {
  const https = config.publicUrl.startsWith('https:');
  // Browsers apply form-action to the redirects that follow a form post: the
  // posts that start a FranceConnect round trip (or its logout) end there.
  const franceConnect = config.franceConnect.issuer ? [new URL(config.franceConnect.issuer).origin] : [];
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        ...SAME_ORIGIN_CSP_DIRECTIVES,
        connectSrc: ["'self'"],
        baseUri: ["'none'"],
        formAction: ["'self'", ...franceConnect],
        upgradeInsecureRequests: https ? [] : null,
      },
    },
    hsts: https ? { maxAge: 63072000, includeSubDomains: true } : false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  };
}

/**
 * PGlite serves one statement at a time, and its socket server interleaves the
 * protocol messages (parse, bind, execute) of concurrent connections that are
 * not in a transaction: the embedded database gets exactly one connection.
 */
function withEmbeddedPool(config: AppConfig, database: DatabaseHandle): AppConfig {
  return database.pglite ? Object.freeze({ ...config, databasePoolSize: 1 }) : config;
}

export interface CreateAppOptions {
  /** Replaces the system clock (tests move time to reach lockout and session ends). */
  clock?: Clock;
  /** Where log lines go instead of standard output (tests read them). */
  logDestination?: DestinationStream;
}

/**
 * Builds the configured application (database opened and migrated) without
 * listening. Without FC_ISSUER (outside production) the FranceConnect
 * simulator is started first and its issuer used.
 */
export async function createApp(given: AppConfig, options: CreateAppOptions = {}): Promise<RunningApp> {
  const simulator = await startSimulatorIfNeeded(given);
  const config = simulator ? withFranceConnectIssuer(given, simulator.issuer) : given;
  let database: DatabaseHandle;
  let app: NestExpressApplication;
  let demoPartner: DemoPartner | undefined;
  try {
    demoPartner = await startDemoPartnerIfNeeded(config);
    database = await openDatabase(config);
  } catch (error) {
    await demoPartner?.close();
    await simulator?.close();
    throw error;
  }
  try {
    app = await NestFactory.create<NestExpressApplication>(AppModule.register(withEmbeddedPool(config, database), database.url, options.clock, options.logDestination), {
      bufferLogs: true,
      bodyParser: false,
    });
  } catch (error) {
    await database.close();
    await demoPartner?.close();
    await simulator?.close();
    throw error;
  }
  app.useLogger(app.get(Logger));
  app.set('trust proxy', config.trustProxy ? 1 : false);
  app.disable('x-powered-by');
  app.use(helmet(helmetOptions(config)));
  app.use(noStoreByDefault(STATIC_PREFIXES));
  // Before anything that reads the host (the provider builds URLs from it).
  app.use(publicHostOnly(config.publicUrl));
  // The provider face, before the body parsers and Nest's router (it parses and authenticates its own requests).
  mountProvider(app);
  app.useBodyParser('json', { limit: config.bodyLimit });
  app.useBodyParser('urlencoded', { limit: config.bodyLimit, extended: false });
  configureWebShell(app, config.nodeEnv === 'production');
  configureSessions(app, config);
  app.use(csrfLocals);
  let localWitness: RunningWitness | undefined;
  try {
    // One line naming FranceConnect and what it announced; production refuses to start on a mismatch.
    await app.get(FranceConnectStatusService).checkAtStart();
    localWitness = await startLocalWitnessIfNeeded(app, config);
  } catch (error) {
    await localWitness?.close();
    await app.close();
    await database.close();
    await demoPartner?.close();
    await simulator?.close();
    throw error;
  }
  return {
    app,
    database,
    config,
    simulator,
    demoPartner,
    localWitness,
    close: async () => {
      await app.close();
      await localWitness?.close();
      await database.close();
      await demoPartner?.close();
      await simulator?.close();
    },
  };
}

/**
 * In development without JOURNAL_WITNESSES, one witness on a free loopback
 * port, trusting the journal's note keys, added to the checkpoint sender, so
 * that cosignatures are seen working. Its state is a temporary file: each
 * start begins afresh (the sender adopts its size 0 at the first 409).
 */
async function startLocalWitnessIfNeeded(app: NestExpressApplication, config: AppConfig): Promise<RunningWitness | undefined> {
  if (config.nodeEnv !== 'development' || config.journal.witnesses.length > 0) return undefined;
  const keys = app.get(KeysService);
  await keys.noteSigningKey();
  const origin = `${journalNoteKeyName(config.publicUrl)}/`;
  const logs = (await journalNoteVerifierKeys(keys, config.publicUrl)).map((verifierKey) => ({ origin, prefix: true, verifierKey }));
  const dir = mkdtempSync(join(tmpdir(), 'procuration-witness-'));
  const witness = await startWitness({ host: '127.0.0.1', port: 0, stateFile: join(dir, 'state.json'), name: 'temoin-local.procuration.localhost', logs });
  app.get(JournalWitnessSender).addWitness({ url: witness.url, verifierKey: witness.verifierKey, name: 'temoin-local.procuration.localhost' });
  return {
    ...witness,
    close: async () => {
      await witness.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
