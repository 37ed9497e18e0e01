/**
 * Rotates a service signing key (the old one is retired and stays published
 * so its signatures remain verifiable), journaling `keys.rotated`:
 *   node dist/src/journal/cli/keys-rotate.cli.js --purpose journal|attestation
 */
import { parseArgs } from 'node:util';
import { loadConfigFromProcess } from '../../../config/config.js';
import type { KeyPurpose } from '../../keys/keys.service.js';
import { runCommand, withJournal } from './cli-support.js';

const PURPOSES: readonly KeyPurpose[] = ['journal', 'attestation'];

runCommand(async () => {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { purpose: { type: 'string' } } });
  const purpose = values.purpose as KeyPurpose;
  if (!PURPOSES.includes(purpose)) throw new Error(`--purpose must be one of ${PURPOSES.join(', ')}`);
  const rotated = await withJournal(loadConfigFromProcess(), ({ keys, journal, transactions }) =>
    transactions.run(async (manager) => {
      const result = await keys.rotate(purpose, manager);
      await journal.append(manager, {
        action: 'keys.rotated',
        structureId: null,
        actor: { type: 'operator', id: null },
        details: { purpose, kid: result.kid, retiredKid: result.retiredKid },
      });
      return result;
    }).then(async (result) => {
      await journal.flush();
      return result;
    }),
  );
  process.stdout.write(`rotated ${purpose} key: ${rotated.retiredKid ?? 'none'} -> ${rotated.kid}\n`);
  return 0;
});
