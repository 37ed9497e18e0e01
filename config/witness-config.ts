/**
 * Settings of the witness (`npm run witness`), a separate service with its
 * own key, port and state: it reads its own few variables, not the app's
 * schema, so that neither needs the other's settings to start. The same
 * rules as the app's configuration: errors name the variable and the rule,
 * never the value; the signer key is never printed.
 */
import { ConfigError, ConfigProblem, type Environment } from './config.js';

export interface WitnessLogConfig {
  /** An exact origin, or a prefix when the configured text ended with `*`. */
  origin: string;
  prefix: boolean;
  /** The log's note verifier key (`<name>+<key ID>+<base64(0x01 ‖ key)>`). */
  verifierKey: string;
}

export interface WitnessConfig {
  host: string;
  port: number;
  stateFile: string;
  /** Key name used when the witness generates its key on first start. */
  name: string;
  /** `PRIVATE+KEY+<name>+<key ID>+<base64(0x01 ‖ seed)>`; unset: generated into the state file. */
  signerKey?: string;
  logs: WitnessLogConfig[];
}

export const WITNESS_VARIABLES = {
  WITNESS_HOST: 'Address the witness listens on (default `127.0.0.1`).',
  WITNESS_PORT: 'Port of the witness (default `3200`; 0 picks a free port).',
  WITNESS_STATE_FILE: 'JSON file of the witness state: last cosigned checkpoint per log, and its key when generated (default `data/witness/state.json`).',
  WITNESS_NAME: 'Key name of a generated witness key (default `witness.procuration.localhost`).',
  WITNESS_KEY: 'Witness signer key `PRIVATE+KEY+<name>+<key ID>+<key>` (sensitive); unset: generated on first start and kept in the state file.',
  WITNESS_LOGS: 'Logs the witness accepts, separated by `;` or newlines, each `<origin> <verifier key>`; an origin ending with `*` matches every origin that starts with it.',
} as const;

function readLogs(text: string | undefined, problems: ConfigProblem[]): WitnessLogConfig[] {
  const entries = (text ?? '').split(/[;\n]/).map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  if (entries.length === 0) {
    problems.push(new ConfigProblem('WITNESS_LOGS', 'must name at least one log: `<origin> <verifier key>`'));
    return [];
  }
  return entries.flatMap((entry, i) => {
    const fields = entry.split(/\s+/);
    if (fields.length !== 2 || fields[0] === '*') {
      problems.push(new ConfigProblem('WITNESS_LOGS', `entry ${i + 1} must be \`<origin> <verifier key>\``));
      return [];
    }
    const [origin, verifierKey] = fields;
    const prefix = origin.endsWith('*');
    return [{ origin: prefix ? origin.slice(0, -1) : origin, prefix, verifierKey }];
  });
}

export function loadWitnessConfig(env: Environment): WitnessConfig {
  const problems: ConfigProblem[] = [];
  const portText = env.WITNESS_PORT ?? '3200';
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) problems.push(new ConfigProblem('WITNESS_PORT', 'must be an integer from 0 to 65535'));
  const name = env.WITNESS_NAME ?? 'witness.procuration.localhost';
  if (!/^[^\s+]+$/u.test(name)) problems.push(new ConfigProblem('WITNESS_NAME', 'must be non-empty, without spaces or `+`'));
  const signerKey = env.WITNESS_KEY?.trim() || undefined;
  if (signerKey !== undefined && !signerKey.startsWith('PRIVATE+KEY+')) {
    problems.push(new ConfigProblem('WITNESS_KEY', 'must be a signer key `PRIVATE+KEY+<name>+<key ID>+<key>`'));
  }
  const logs = readLogs(env.WITNESS_LOGS, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    host: env.WITNESS_HOST ?? '127.0.0.1',
    port,
    stateFile: env.WITNESS_STATE_FILE ?? 'data/witness/state.json',
    name,
    signerKey,
    logs,
  };
}

/** The witness's entry point reads its settings here (src/ never reads the environment). */
export function loadWitnessConfigFromProcess(): WitnessConfig {
  return loadWitnessConfig(process.env);
}
