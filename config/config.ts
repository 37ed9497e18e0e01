import {
  CONFIG_SCHEMA,
  type LogLevel,
  type NodeEnv,
  type VariableSpec,
} from './config.schema.js';

/** The validated, frozen configuration the whole service receives. */
/** A witness of the journal: where to send checkpoints and the key its cosignatures are checked with. */
export interface JournalWitnessConfig {
  /** Base URL; requests go to `<url>/add-checkpoint`. */
  url: string;
  /** Note verifier key `<name>+<key ID>+<base64(0x04 ‖ key)>`; its name is the witness's name. */
  verifierKey: string;
  /** The key's name, shown as the witness's name. */
  name: string;
}

/** JOURNAL_WITNESSES, already matched by the schema's pattern, as a list. */
export function parseJournalWitnesses(text: string | undefined): JournalWitnessConfig[] {
  return (text ?? '')
    .split(/[;\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const [url, verifierKey] = entry.split(/\s+/) as [string, string];
      return { url: url.replace(/\/+$/, ''), verifierKey, name: verifierKey.split('+')[0]! };
    });
}

export interface AppConfig {
  nodeEnv: NodeEnv;
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string | undefined;
  dataDir: string;
  databasePoolSize: number;
  /** Worker processes behind the HTTP port (src/cluster.ts); 1 serves from the started process itself. */
  webConcurrency: number;
  migrationsRunAtStart: boolean;
  sessionSecret: string;
  bodyLimit: string;
  trustProxy: boolean;
  logLevel: LogLevel;
  franceConnect: {
    issuer: string | undefined;
    clientId: string;
    clientSecret: string;
    pkce: boolean;
    simulatorPort: number;
    /** Pinned signing algorithm of ID tokens and JWT userinfo responses. */
    idTokenAlg: 'ES256' | 'RS256';
    /** HMAC key of the stored usager `sub` hash. */
    subKey: string;
  };
  /** 32-byte key (base64) encrypting the private signing keys at rest. */
  keysEncryptionKey: string;
  journal: {
    sealIntervalMs: number;
    checkpointEvery: number;
    checkpointIntervalSeconds: number;
    /** Worker threads hashing entries during verification; `undefined`: one per CPU. */
    verifyThreads: number | undefined;
    /** Witnesses each new checkpoint note is sent to (JOURNAL_WITNESSES). */
    witnesses: readonly JournalWitnessConfig[];
  };
  /** Hex AES-256-GCM key of TOTP seeds at rest. */
  totpEncryptionKey: string;
  demoSeed: boolean;
  mail: { smtpUrl: string | undefined; from: string };
  provider: {
    /** HMAC key of the pairwise subjects given to partner services. */
    pairwiseKey: string;
    /** Port of the demo partner service (development and tests only). */
    demoPartnerPort: number;
  };
  attestations: {
    /** Anonymous verifications allowed per client address and minute. */
    verificationsPerMinute: number;
  };
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** One broken rule: the variable and the rule, never the value. */
export class ConfigProblem extends Error {
  constructor(readonly variable: string, readonly rule: string) {
    super(`${variable} ${rule}`);
  }
}

/** All the problems of an environment, reported on one line. */
export class ConfigError extends Error {
  readonly variables: string[];
  constructor(readonly problems: ConfigProblem[]) {
    super(`Invalid configuration: ${problems.map((p) => p.message).join('; ')}.`);
    this.name = 'ConfigError';
    this.variables = problems.map((p) => p.variable);
  }
}

type Raw = Record<string, string | number | boolean | undefined>;

function parseValue(spec: VariableSpec, text: string): string | number | boolean {
  const { kind } = spec;
  switch (kind.type) {
    case 'string':
      if (kind.minLength !== undefined && text.length < kind.minLength) {
        throw new ConfigProblem(spec.name, `must be at least ${kind.minLength} characters long`);
      }
      if (kind.pattern && !kind.pattern.test(text)) {
        throw new ConfigProblem(spec.name, `must be ${kind.rule ?? `of the form ${kind.pattern}`}`);
      }
      return text;
    case 'int': {
      const value = Number(text);
      if (!/^\d+$/.test(text) || value < kind.min || value > kind.max) {
        throw new ConfigProblem(spec.name, `must be an integer between ${kind.min} and ${kind.max}`);
      }
      return value;
    }
    case 'boolean':
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      throw new ConfigProblem(spec.name, 'must be `true` or `false`');
    case 'url': {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        throw new ConfigProblem(spec.name, `must be a URL (${kind.protocols.join(' or ')})`);
      }
      if (!kind.protocols.includes(url.protocol)) {
        throw new ConfigProblem(spec.name, `must be a URL starting with ${kind.protocols.join(' or ')}`);
      }
      return text;
    }
    case 'enum':
      if (!kind.values.includes(text)) {
        throw new ConfigProblem(spec.name, `must be one of ${kind.values.join(', ')}`);
      }
      return text;
  }
}

function readOne(spec: VariableSpec, env: Environment, production: boolean) {
  const given = env[spec.name];
  const present = given !== undefined && given !== '';
  if (production && spec.requiredInProduction && !present) {
    throw new ConfigProblem(spec.name, 'is required when NODE_ENV=production');
  }
  if (production && spec.sensitive && present && given === spec.default) {
    throw new ConfigProblem(spec.name, 'must not be the development default when NODE_ENV=production');
  }
  const text = present ? given : spec.default;
  return text === undefined ? undefined : parseValue(spec, text);
}

function readRaw(env: Environment, production: boolean): Raw {
  const raw: Raw = {};
  const problems: ConfigProblem[] = [];
  for (const spec of CONFIG_SCHEMA) {
    try {
      raw[spec.name] = readOne(spec, env, production);
    } catch (error) {
      if (!(error instanceof ConfigProblem)) throw error;
      problems.push(error);
    }
  }
  if (production && raw.DEMO_SEED === true) {
    problems.push(new ConfigProblem('DEMO_SEED', 'must not be `true` when NODE_ENV=production'));
  }
  // Outside production the service starts companions that keep their state in
  // one process (the FranceConnect simulator, the demo partner, the local
  // witness), and the embedded database is one process's: each worker would
  // start its own.
  if ((raw.WEB_CONCURRENCY as number) > 1 && (!production || raw.DATABASE_URL === undefined)) {
    problems.push(new ConfigProblem('WEB_CONCURRENCY', 'must be 1 unless NODE_ENV=production and DATABASE_URL is set'));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return raw;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Validates an environment into the frozen configuration, or throws a ConfigError. */
export function loadConfig(env: Environment): AppConfig {
  const production = env.NODE_ENV === 'production';
  const raw = readRaw(env, production);
  const port = raw.PORT as number;
  const config: AppConfig = {
    nodeEnv: raw.NODE_ENV as NodeEnv,
    port,
    host: raw.HOST as string,
    publicUrl: trimSlash((raw.PUBLIC_URL as string | undefined) ?? `http://localhost:${port}`),
    databaseUrl: raw.DATABASE_URL as string | undefined,
    dataDir: raw.DATA_DIR as string,
    databasePoolSize: raw.DATABASE_POOL_SIZE as number,
    webConcurrency: raw.WEB_CONCURRENCY as number,
    migrationsRunAtStart: raw.MIGRATIONS_RUN_AT_START as boolean,
    sessionSecret: raw.SESSION_SECRET as string,
    bodyLimit: raw.BODY_LIMIT as string,
    trustProxy: raw.TRUST_PROXY as boolean,
    logLevel: raw.LOG_LEVEL as LogLevel,
    franceConnect: {
      issuer: raw.FC_ISSUER as string | undefined,
      clientId: raw.FC_CLIENT_ID as string,
      clientSecret: raw.FC_CLIENT_SECRET as string,
      pkce: raw.FC_PKCE as boolean,
      simulatorPort: raw.FC_SIMULATOR_PORT as number,
      idTokenAlg: raw.FC_ID_TOKEN_ALG as 'ES256' | 'RS256',
      subKey: raw.FC_SUB_KEY as string,
    },
    keysEncryptionKey: raw.KEYS_ENCRYPTION_KEY as string,
    journal: {
      sealIntervalMs: raw.JOURNAL_SEAL_INTERVAL_MS as number,
      checkpointEvery: raw.JOURNAL_CHECKPOINT_EVERY as number,
      checkpointIntervalSeconds: raw.JOURNAL_CHECKPOINT_INTERVAL_SECONDS as number,
      verifyThreads: raw.JOURNAL_VERIFY_THREADS as number | undefined,
      witnesses: parseJournalWitnesses(raw.JOURNAL_WITNESSES as string | undefined),
    },
    totpEncryptionKey: (raw.TOTP_ENCRYPTION_KEY as string).toLowerCase(),
    demoSeed: (raw.DEMO_SEED as boolean | undefined) ?? raw.NODE_ENV === 'development',
    mail: { smtpUrl: raw.SMTP_URL as string | undefined, from: raw.MAIL_FROM as string },
    provider: {
      pairwiseKey: raw.PROVIDER_PAIRWISE_KEY as string,
      demoPartnerPort: raw.DEMO_PARTNER_PORT as number,
    },
    attestations: { verificationsPerMinute: raw.ATTESTATION_VERIFICATIONS_PER_MINUTE as number },
  };
  return deepFreeze(config);
}

/**
 * The same configuration with the FranceConnect issuer filled in: used when
 * the development simulator was started because FC_ISSUER is unset.
 */
export function withFranceConnectIssuer(config: AppConfig, issuer: string): AppConfig {
  return deepFreeze({ ...config, franceConnect: { ...config.franceConnect, issuer } });
}

/** The only place in the project that reads `process.env`. */
export function loadConfigFromProcess(): AppConfig {
  return loadConfig(process.env);
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child as object);
  }
  return Object.freeze(value);
}
