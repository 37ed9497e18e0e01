/**
 * The one schema of every setting Procuration reads from its environment.
 *
 * Each variable has a type, a development default (or none when it must be
 * given), a description used by `.env.example` and the README table, and a
 * `sensitive` flag: sensitive values are never printed, and production
 * refuses to start on their development defaults.
 */

export const NODE_ENVS = ['development', 'test', 'production'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type Kind =
  | { type: 'string'; pattern?: RegExp; rule?: string; minLength?: number }
  | { type: 'int'; min: number; max: number }
  | { type: 'boolean' }
  | { type: 'url'; protocols: readonly string[] }
  | { type: 'enum'; values: readonly string[] };

export interface VariableSpec {
  name: string;
  kind: Kind;
  /** Development default; `undefined` means optional with no value. */
  default?: string;
  /** Shown in the README and `.env.example`. */
  description: string;
  sensitive?: boolean;
  /** Production refuses to start when this variable is unset. */
  requiredInProduction?: boolean;
  /**
   * The value `docker/app.env.example` gives it, for a variable a production
   * set-up should set although the service would start without it.
   */
  productionValue?: string;
  /** Where a production value comes from when it is neither generated nor the example's (given by FranceConnect…). */
  productionHint?: string;
}

export const DEV_SESSION_SECRET = 'dev-only-session-secret-change-me-0123456789';

/** 32 bytes in base64: development only (production refuses it). */
export const DEV_KEYS_ENCRYPTION_KEY = 'ZGV2LW9ubHkta2V5cy1lbmNyeXB0aW9uLWtleS0wMDE=';

export const DEV_TOTP_ENCRYPTION_KEY = '6465762d6f6e6c792d746f74702d6b65792d6368616e67652d6d652d30313233';

export const CONFIG_SCHEMA: readonly VariableSpec[] = [
  {
    name: 'NODE_ENV',
    kind: { type: 'enum', values: NODE_ENVS },
    default: 'development',
    description: 'Run mode: `development`, `test` or `production` (production refuses development secrets).',
    productionValue: 'production',
  },
  {
    name: 'PORT',
    kind: { type: 'int', min: 0, max: 65535 },
    default: '3000',
    description: 'HTTP port of the service (0 picks a free port).',
  },
  {
    name: 'HOST',
    kind: { type: 'string', pattern: /^[A-Za-z0-9.:[\]-]+$/, rule: 'a host name or IP address' },
    default: '127.0.0.1',
    description: 'Address the HTTP server listens on (`0.0.0.0` in a container).',
    productionValue: '0.0.0.0',
  },
  {
    name: 'PUBLIC_URL',
    kind: { type: 'url', protocols: ['http:', 'https:'] },
    description:
      'Public base URL as browsers and partners see it (issuer of the provider face, every link the service writes). The service answers only to the host of this URL (421 for any other; `/health` excepted). Default: `http://localhost:<PORT>`. HSTS is sent when it is https.',
    requiredInProduction: true,
    productionHint: 'the https URL users and partners see (enables HSTS, Secure cookies and their `__Host-` / `__Secure-` prefixes: see [aidants.md](aidants.md#cookies))',
    productionValue: 'https://procuration.example.fr',
  },
  {
    name: 'DATABASE_URL',
    kind: { type: 'url', protocols: ['postgres:', 'postgresql:'] },
    description:
      'PostgreSQL connection URL. Unset: an embedded PGlite database persisted in `DATA_DIR`.',
    sensitive: true,
    productionValue: '',
  },
  {
    name: 'DATA_DIR',
    kind: { type: 'string', minLength: 1 },
    default: './data',
    description: 'Directory of the embedded database (used only without `DATABASE_URL`); `memory://` keeps it in memory.',
  },
  {
    name: 'DATABASE_POOL_SIZE',
    kind: { type: 'int', min: 1, max: 200 },
    default: '10',
    description: 'Maximum number of database connections of this instance.',
  },
  {
    name: 'WEB_CONCURRENCY',
    kind: { type: 'int', min: 1, max: 64 },
    default: '1',
    description:
      'Number of Node.js worker processes serving the HTTP port (one CPU core each at most; see `docs/decisions/0014-worker-processes.md`). Above 1: production with `DATABASE_URL` only; each worker has its own pool of `DATABASE_POOL_SIZE` connections.',
  },
  {
    name: 'MIGRATIONS_RUN_AT_START',
    kind: { type: 'boolean' },
    default: 'true',
    description: 'Apply pending migrations when the service starts.',
  },
  {
    name: 'SESSION_SECRET',
    kind: { type: 'string', minLength: 32 },
    default: DEV_SESSION_SECRET,
    description: 'Secret signing session cookies (at least 32 characters).',
    sensitive: true,
    requiredInProduction: true,
  },
  {
    name: 'BODY_LIMIT',
    kind: { type: 'string', pattern: /^\d+(b|kb|mb)$/, rule: 'a size such as `100kb` or `1mb`' },
    default: '100kb',
    description: 'Largest accepted request body (form or JSON).',
  },
  {
    name: 'TRUST_PROXY',
    kind: { type: 'boolean' },
    default: 'false',
    description: 'Trust `X-Forwarded-*` headers from one reverse proxy (client IPs in logs and journal; the public host it forwards is checked against `PUBLIC_URL`).',
    productionValue: 'true',
  },
  {
    name: 'LOG_LEVEL',
    kind: { type: 'enum', values: LOG_LEVELS },
    default: 'info',
    description: 'Minimum level of the JSON logs.',
    productionValue: 'info',
  },
  {
    name: 'FC_ISSUER',
    kind: { type: 'url', protocols: ['http:', 'https:'] },
    description:
      'FranceConnect issuer URL (discovery). Unset: the local FranceConnect simulator is started (never in production).',
    requiredInProduction: true,
    productionHint: 'the FranceConnect v2 issuer of your environment (integration or production), given by FranceConnect',
  },
  {
    name: 'FC_CLIENT_ID',
    kind: { type: 'string', minLength: 1 },
    default: 'procuration-dev',
    description: 'Client id of Procuration at FranceConnect.',
    productionValue: '',
    productionHint: 'given by FranceConnect (partner space)',
  },
  {
    name: 'FC_CLIENT_SECRET',
    kind: { type: 'string', minLength: 16 },
    default: 'dev-only-fc-client-secret-0123456789',
    description: 'Client secret of Procuration at FranceConnect (`client_secret_post`).',
    sensitive: true,
    requiredInProduction: true,
    productionHint: 'given by FranceConnect (partner space)',
  },
  {
    name: 'FC_PKCE',
    kind: { type: 'boolean' },
    default: 'false',
    description: 'Send PKCE to FranceConnect (real FranceConnect v2 refuses unknown parameters).',
  },
  {
    name: 'FC_SIMULATOR_PORT',
    kind: { type: 'int', min: 0, max: 65535 },
    default: '3100',
    description: 'Port of the local FranceConnect simulator (development and tests only).',
  },
  {
    name: 'KEYS_ENCRYPTION_KEY',
    kind: { type: 'string', pattern: /^[A-Za-z0-9+/]{43}=$/, rule: '32 random bytes in base64 (`openssl rand -base64 32`)' },
    default: DEV_KEYS_ENCRYPTION_KEY,
    description:
      'Key (AES-256-GCM) encrypting the private signing keys stored in the database (journal checkpoints, attestations).',
    sensitive: true,
    requiredInProduction: true,
  },
  {
    name: 'JOURNAL_SEAL_INTERVAL_MS',
    kind: { type: 'int', min: 10, max: 900 },
    default: '100',
    description: 'How often the journal sequencer looks for entries to seal (chain them), in milliseconds.',
  },
  {
    name: 'JOURNAL_CHECKPOINT_EVERY',
    kind: { type: 'int', min: 1, max: 1000000 },
    default: '1000',
    description: 'Sign a journal checkpoint of a chain after this many new entries.',
  },
  {
    name: 'JOURNAL_CHECKPOINT_INTERVAL_SECONDS',
    kind: { type: 'int', min: 1, max: 86400 },
    default: '300',
    description: 'Sign a journal checkpoint of a chain with new entries at least this often, in seconds.',
  },
  {
    name: 'FC_ID_TOKEN_ALG',
    kind: { type: 'enum', values: ['ES256', 'RS256'] },
    default: 'ES256',
    description:
      'Signing algorithm required of FranceConnect ID tokens (and of JWT userinfo responses); `none` and HS* are never accepted.',
  },
  {
    name: 'FC_SUB_KEY',
    kind: { type: 'string', minLength: 32 },
    default: 'dev-only-fc-sub-key-change-me-0123456789',
    description:
      'HMAC-SHA-256 key hashing the usager\'s FranceConnect `sub` before it is stored (at least 32 characters; changing it orphans every usager).',
    sensitive: true,
    requiredInProduction: true,
  },
  {
    name: 'TOTP_ENCRYPTION_KEY',
    kind: { type: 'string', pattern: /^[0-9a-fA-F]{64}$/, rule: '64 hexadecimal characters (a 256-bit key)' },
    default: DEV_TOTP_ENCRYPTION_KEY,
    description: 'AES-256-GCM key encrypting the TOTP seeds of cards and apps at rest (`openssl rand -hex 32`).',
    sensitive: true,
    requiredInProduction: true,
  },
  {
    name: 'DEMO_SEED',
    kind: { type: 'boolean' },
    description:
      'Create the demo structures and accounts at start when missing. Default: `true` in development, `false` otherwise; refused in production.',
  },
  {
    name: 'SMTP_URL',
    kind: { type: 'url', protocols: ['smtp:', 'smtps:'] },
    description:
      'SMTP server for invitations and lockout notices (`smtps://user:password@host:465`). Unset: mails are kept in the database outbox, shown at `/dev/outbox` in development to a browser on the same machine.',
    sensitive: true,
  },
  {
    name: 'MAIL_FROM',
    kind: { type: 'string', minLength: 3 },
    default: 'Procuration <ne-pas-repondre@procuration.localhost>',
    description: 'Sender address of the mails Procuration sends.',
  },
  {
    name: 'PROVIDER_PAIRWISE_KEY',
    kind: { type: 'string', minLength: 32 },
    default: 'dev-only-provider-pairwise-key-change-me-0123456789',
    description:
      'HMAC-SHA-256 key of the pairwise `sub` each partner service receives for a usager (at least 32 characters; changing it changes every partner\'s subjects).',
    sensitive: true,
    requiredInProduction: true,
  },
  {
    name: 'DEMO_PARTNER_PORT',
    kind: { type: 'int', min: 0, max: 65535 },
    default: '3200',
    description:
      'Port of the demo partner service ("Démarche de démonstration — Logement") started beside the service in development (0 picks a free port; never started in production).',
  },
  {
    name: 'JOURNAL_WITNESSES',
    kind: {
      type: 'string',
      pattern: /^\s*(https?:\/\/\S+\s+[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*\s*)?([;\n]\s*(https?:\/\/\S+\s+[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*\s*)?)*$/,
      rule: 'entries `<url> <verifier key>` separated by `;` or newlines',
    },
    description:
      'Witnesses (C2SP tlog-witness) each new journal checkpoint is sent to, separated by `;` or newlines, each `<url> <verifier key>` (the URL before `/add-checkpoint`). Unset: none.',
  },
  {
    name: 'JOURNAL_VERIFY_THREADS',
    kind: { type: 'int', min: 0, max: 64 },
    description:
      'Worker threads that recompute journal hashes during verification of chains longer than one page (10,000 entries); 0 hashes in the main thread. Unset: one per CPU.',
  },
  {
    name: 'ATTESTATION_VERIFICATIONS_PER_MINUTE',
    kind: { type: 'int', min: 1, max: 100000 },
    default: '30',
    description:
      'Public attestation verifications (`/attestations/verification`) allowed per client address and minute; more get a 429 page.',
  },
];
