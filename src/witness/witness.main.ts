/**
 * `npm run witness`: the witness alone, on its own port with its own state
 * file. Prints its URL and verifier key, then one JSON line per cosignature
 * or refusal, and runs until SIGTERM or SIGINT.
 */
import { ConfigError } from '../../config/config.js';
import { loadWitnessConfigFromProcess, type WitnessConfig } from '../../config/witness-config.js';
import { startWitness } from './witness.server.js';

const line = (fields: object) => `${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`;

let config: WitnessConfig;
try {
  config = loadWitnessConfigFromProcess();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
const witness = await startWitness(config, { report: (event) => process.stdout.write(line(event)) });
process.stdout.write(line({ event: 'listening', url: witness.url, verifierKey: witness.verifierKey }));
const stop = () => void witness.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
