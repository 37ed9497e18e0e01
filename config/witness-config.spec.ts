import { describe, expect, it } from '@jest/globals';
import { ConfigError } from './config.js';
import { loadWitnessConfig } from './witness-config.js';

const VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';

describe('witness configuration', () => {
  it('reads logs (exact origins and prefixes) and applies the defaults', () => {
    const config = loadWitnessConfig({ WITNESS_LOGS: `procuration.example/journal/* ${VKEY};\n other.example/log ${VKEY}` });
    expect(config).toEqual({
      host: '127.0.0.1',
      port: 3200,
      stateFile: 'data/witness/state.json',
      name: 'witness.procuration.localhost',
      signerKey: undefined,
      logs: [
        { origin: 'procuration.example/journal/', prefix: true, verifierKey: VKEY },
        { origin: 'other.example/log', prefix: false, verifierKey: VKEY },
      ],
    });
  });

  it('names every broken variable and never the value of the key', () => {
    let error: unknown;
    try {
      loadWitnessConfig({ WITNESS_PORT: '70000', WITNESS_KEY: 'secret-value', WITNESS_LOGS: 'only-an-origin', WITNESS_NAME: 'a b' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(['WITNESS_PORT', 'WITNESS_NAME', 'WITNESS_KEY', 'WITNESS_LOGS']);
    expect((error as ConfigError).message).not.toContain('secret-value');
  });

  it('requires at least one log', () => {
    expect(() => loadWitnessConfig({})).toThrow('WITNESS_LOGS must name at least one log');
  });
});
