/**
 * Rotates a service signing key (the old one is retired and stays published
 * so that its signatures remain verifiable), journaling `keys.rotated`:
 *   node dist/src/journal/cli/keys-rotate.cli.js --purpose journal|attestation
 */
import { loadConfigFromProcess } from '../../../config/config.js';
import { runCommand } from './cli-support.js';
import { rotateKey } from './journal.commands.js';

runCommand(() =>
  rotateKey(process.argv.slice(2), { config: loadConfigFromProcess, stdout: process.stdout, stderr: process.stderr }),
);
