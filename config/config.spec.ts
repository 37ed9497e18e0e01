import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';
import { CONFIG_SCHEMA, DEV_SESSION_SECRET } from './config.schema.js';

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('works with no configuration at all in development', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir).toBe('./data');
    expect(config.migrationsRunAtStart).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.franceConnect)).toBe(true);
  });

  it('derives PUBLIC_URL from PORT and drops a trailing slash', () => {
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ PUBLIC_URL: 'https://procuration.example.fr/' }).publicUrl).toBe(
      'https://procuration.example.fr',
    );
  });

  it.each([
    ['PORT', 'abc', 'must be an integer between 0 and 65535'],
    ['PORT', '70000', 'must be an integer between 0 and 65535'],
    ['PUBLIC_URL', 'not a url', 'must be a URL'],
    ['PUBLIC_URL', 'ftp://example.fr', 'must be a URL starting with http: or https:'],
    ['DATABASE_URL', 'mysql://localhost/test', 'must be a URL starting with postgres: or postgresql:'],
    ['LOG_LEVEL', 'verbose', 'must be one of fatal, error, warn, info, debug, trace, silent'],
    ['MIGRATIONS_RUN_AT_START', 'yes', 'must be `true` or `false`'],
    ['SESSION_SECRET', 'short', 'must be at least 32 characters long'],
    ['BODY_LIMIT', 'lots', 'must be a size such as `100kb` or `1mb`'],
    ['NODE_ENV', 'staging', 'must be one of development, test, production'],
    ['KEYS_ENCRYPTION_KEY', 'too-short', 'must be 32 random bytes in base64'],
    ['JOURNAL_CHECKPOINT_EVERY', '0', 'must be an integer between 1 and 1000000'],
    ['FC_ID_TOKEN_ALG', 'none', 'must be one of ES256, RS256'],
    ['FC_ID_TOKEN_ALG', 'HS256', 'must be one of ES256, RS256'],
    ['FC_SUB_KEY', 'short', 'must be at least 32 characters long'],
  ])('names %s when it is %j', (variable, value, rule) => {
    const error = errorOf({ [variable]: value });
    expect(error.variables).toEqual([variable]);
    expect(error.message).toContain(`${variable} ${rule}`);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('never repeats a sensitive value in its error', () => {
    const error = errorOf({ SESSION_SECRET: 'hunter2-secret' });
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses to start in production without secrets, with one line naming them', () => {
    const error = errorOf({ NODE_ENV: 'production' });
    expect(error.variables).toEqual(
      expect.arrayContaining([
        'SESSION_SECRET',
        'PUBLIC_URL',
        'FC_CLIENT_SECRET',
        'FC_ISSUER',
        'KEYS_ENCRYPTION_KEY',
        'FC_SUB_KEY',
        'TOTP_ENCRYPTION_KEY',
        'PROVIDER_PAIRWISE_KEY',
      ]),
    );
    expect(error.message).toContain('SESSION_SECRET is required when NODE_ENV=production');
    expect(error.message).not.toContain('\n');
  });

  it('refuses the development secrets in production', () => {
    const error = errorOf({
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://procuration.example.fr',
      SESSION_SECRET: DEV_SESSION_SECRET,
      FC_ISSUER: 'https://fc.example.fr/api/v2',
      FC_CLIENT_SECRET: 'a-real-secret-of-enough-length',
      KEYS_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      FC_SUB_KEY: 'k'.repeat(32),
      TOTP_ENCRYPTION_KEY: 'ab'.repeat(32),
      PROVIDER_PAIRWISE_KEY: 'p'.repeat(32),
    });
    expect(error.variables).toEqual(['SESSION_SECRET']);
    expect(error.message).toContain('must not be the development default');
  });

  it('accepts a complete production configuration', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://procuration.example.fr',
      SESSION_SECRET: 'x'.repeat(48),
      FC_ISSUER: 'https://fc.example.fr/api/v2',
      FC_CLIENT_SECRET: 'a-real-secret-of-enough-length',
      KEYS_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      FC_SUB_KEY: 'k'.repeat(32),
      TOTP_ENCRYPTION_KEY: 'ab'.repeat(32),
      PROVIDER_PAIRWISE_KEY: 'p'.repeat(32),
      DATABASE_URL: 'postgres://app@db/procuration',
    });
    expect(config.nodeEnv).toBe('production');
    expect(config.franceConnect.issuer).toBe('https://fc.example.fr/api/v2');
    expect(config.franceConnect.idTokenAlg).toBe('ES256');
    expect(config.franceConnect.subKey).toBe('k'.repeat(32));
  });

  it('runs several worker processes only in production on PostgreSQL', () => {
    const production = {
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://procuration.example.fr',
      SESSION_SECRET: 'x'.repeat(48),
      FC_ISSUER: 'https://fc.example.fr/api/v2',
      FC_CLIENT_SECRET: 'a-real-secret-of-enough-length',
      KEYS_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      FC_SUB_KEY: 'k'.repeat(32),
      TOTP_ENCRYPTION_KEY: 'ab'.repeat(32),
      PROVIDER_PAIRWISE_KEY: 'p'.repeat(32),
    };
    expect(loadConfig({}).webConcurrency).toBe(1);
    expect(loadConfig({ ...production, DATABASE_URL: 'postgres://app@db/procuration', WEB_CONCURRENCY: '2' }).webConcurrency).toBe(2);
    expect(errorOf({ ...production, WEB_CONCURRENCY: '2' }).variables).toEqual(['WEB_CONCURRENCY']);
    expect(errorOf({ DATABASE_URL: 'postgres://app@db/procuration', WEB_CONCURRENCY: '2' }).variables).toEqual(['WEB_CONCURRENCY']);
    expect(errorOf({ WEB_CONCURRENCY: '0' }).variables).toEqual(['WEB_CONCURRENCY']);
  });

  it('seeds the demo by default in development only, and never in production', () => {
    expect(loadConfig({}).demoSeed).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).demoSeed).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test', DEMO_SEED: 'true' }).demoSeed).toBe(true);
    expect(loadConfig({ DEMO_SEED: 'false' }).demoSeed).toBe(false);
    expect(errorOf({ NODE_ENV: 'production', DEMO_SEED: 'true' }).variables).toContain('DEMO_SEED');
  });

  it.each(['short', 'z'.repeat(64), 'ab'.repeat(31)])('refuses the TOTP key %j without quoting it', (value) => {
    const error = errorOf({ TOTP_ENCRYPTION_KEY: value });
    expect(error.variables).toEqual(['TOTP_ENCRYPTION_KEY']);
    expect(error.message).not.toContain(value);
  });

  it('is documented: every variable is in the README table and in .env.example', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    for (const spec of CONFIG_SCHEMA) {
      expect(readme).toMatch(new RegExp(`^\\| \`${spec.name}\` \\|`, 'm'));
      expect(example).toMatch(new RegExp(`^#? ?${spec.name}=`, 'm'));
    }
  });
});

describe('JOURNAL_WITNESSES', () => {
  const key = 'witness.example+0123abcd+BKiFpzZ0WXN0ZW0tdGVzdC1rZXktMzItYnl0ZXMtbG9uZw==';

  it('reads a list of `<url> <verifier key>` entries, none when unset', () => {
    expect(loadConfig({}).journal.witnesses).toEqual([]);
    const config = loadConfig({ JOURNAL_WITNESSES: `https://w1.example/ ${key}; http://127.0.0.1:3300 ${key}\n` });
    expect(config.journal.witnesses).toEqual([
      { url: 'https://w1.example', verifierKey: key, name: 'witness.example' },
      { url: 'http://127.0.0.1:3300', verifierKey: key, name: 'witness.example' },
    ]);
  });

  it('refuses an entry without a verifier key, naming the variable', () => {
    const error = errorOf({ JOURNAL_WITNESSES: 'https://w1.example/' });
    expect(error.message).toContain('JOURNAL_WITNESSES');
  });
});
