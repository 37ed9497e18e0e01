import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';
import { GENERATED_FILES, generated, generateSecret, productionEnvExample } from './config-doc.js';
import { CONFIG_SCHEMA } from './config.schema.js';

const ROOT = new URL('../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, ROOT), 'utf8');

/** `NAME=value` lines of an env file. */
function parseEnv(text: string): Record<string, string> {
  const entries = text
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
  return Object.fromEntries(entries);
}

describe('configuration documentation', () => {
  it.each(Object.keys(GENERATED_FILES))('%s is what the schema generates (npm run config:doc -- write)', (file) => {
    const committed = read(file);
    expect(GENERATED_FILES[file](committed)).toBe(committed);
  });

  it('docker/app.env.example names every variable production refuses to start without', () => {
    let refused: string[] = [];
    try {
      loadConfig({ NODE_ENV: 'production' });
    } catch (error) {
      refused = (error as ConfigError).variables;
    }
    expect(refused.length).toBeGreaterThan(5);
    expect(Object.keys(parseEnv(productionEnvExample()))).toEqual(expect.arrayContaining(refused));
  });

  it('starts in production from the example once its empty values are filled, and from nothing else', () => {
    const example = parseEnv(read('docker/app.env.example'));
    const given: Record<string, string> = {
      FC_ISSUER: 'https://fc.example.fr/api/v2',
      FC_CLIENT_ID: 'procuration',
      FC_CLIENT_SECRET: 'secret-given-by-franceconnect',
    };
    const filled = Object.fromEntries(
      Object.entries(example).map(([name, value]) => {
        const spec = CONFIG_SCHEMA.find((s) => s.name === name)!;
        return [name, value || (generated(spec) ? generateSecret(spec) : (given[name] ?? ''))];
      }),
    );
    const config = loadConfig(filled);
    expect(config.nodeEnv).toBe('production');
    expect(config.publicUrl).toBe('https://procuration.example.fr');
  });

  it('generates secrets that satisfy their rules and differ each time', () => {
    for (const spec of CONFIG_SCHEMA.filter(generated)) {
      const a = generateSecret(spec);
      expect(a).not.toBe(generateSecret(spec));
      if (spec.kind.type === 'string' && spec.kind.pattern) expect(a).toMatch(spec.kind.pattern);
      if (spec.kind.type === 'string' && spec.kind.minLength) expect(a.length).toBeGreaterThanOrEqual(spec.kind.minLength);
    }
  });
});
