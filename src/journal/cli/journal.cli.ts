/**
 * Operator commands on the journal (docs/journal.md):
 *   node dist/src/journal/cli/journal.cli.js verify [--chain ID]
 *   node dist/src/journal/cli/journal.cli.js export --chain ID [--out FILE]
 *   node dist/src/journal/cli/journal.cli.js verify-file FILE --jwks FILE|URL
 *   node dist/src/journal/cli/journal.cli.js checkpoint [--chain ID]
 * Exit code 0: done and valid; 1: the journal or the file is broken; 2: usage or runtime error.
 */
import { loadConfigFromProcess } from '../../../config/config.js';
import { runCommand } from './cli-support.js';
import { JOURNAL_COMMANDS, USAGE } from './journal.commands.js';

const [name, ...rest] = process.argv.slice(2);
const command = name ? JOURNAL_COMMANDS[name] : undefined;
if (!command) {
  process.stderr.write(`${USAGE}\n`);
  process.exitCode = 2;
} else {
  // verify-file needs no configuration and no database: only the public keys.
  runCommand(() => command(rest, { config: loadConfigFromProcess, stdout: process.stdout, stderr: process.stderr }));
}
