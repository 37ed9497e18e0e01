import { parseArgs } from 'node:util';
import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import type { OperatorCommand, OperatorCommandContext, StandaloneCommand } from '../shared/operator-command.js';
import { KEY_ALGS, KeysService, type KeyPurpose } from './keys.service.js';

/**
 * The key rotation commands of the operator CLI (`npm run cli`). A rotation
 * is journaled (`keys.rotated`) in its own transaction, but `keys/` sits
 * below `journal/` (the journal signs with these keys): the CLI hands each
 * command a `KeyRotationContext` that writes the journal entry, instead of
 * `keys/` importing the journal.
 */

/** A rotation as the journal records it. */
export interface KeyRotation {
  purpose: KeyPurpose;
  kid: string;
  retiredKid: string | null;
}

/** What a rotation command needs from the layers above `keys/`. */
export interface KeyRotationContext {
  keys: KeysService;
  /** Runs `work` in one transaction. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T>;
  /** Journals `keys.rotated` in the transaction of `manager`. */
  recordRotation(manager: EntityManager, rotation: KeyRotation): Promise<void>;
}

export const KEYS_USAGE = `  keys:rotate --purpose journal|journal-note|attestation  nouvelle clé de signature du journal (JWS ou notes C2SP)
                                    ou des attestations (l’ancienne reste publiée)`;

export const PROVIDER_KEYS_USAGE = `  provider:rotate-keys              nouvelles clés de signature du fournisseur (ES256 et RS256) ; les anciennes
                                    restent publiées une heure, le temps que leurs jetons expirent`;

const ROTATABLE: readonly KeyPurpose[] = ['journal', 'journal-note', 'attestation'];

/**
 * `keys:rotate --purpose journal|journal-note|attestation`, run without the application:
 * `open` opens the database and gives the rotation context (then flushes the journal).
 */
export function rotateKeyCommand(
  open: <T>(config: AppConfig, work: (context: KeyRotationContext) => Promise<T>) => Promise<T>,
): StandaloneCommand {
  return async (args, io) => {
    const { values } = parseArgs({ args, options: { purpose: { type: 'string' } } });
    const purpose = values.purpose as KeyPurpose;
    if (!ROTATABLE.includes(purpose)) throw new Error(`--purpose must be one of ${ROTATABLE.join(', ')}`);
    const rotated = await open(io.config(), (context) =>
      context.transaction(async (manager) => {
        const made = await context.keys.rotate(purpose, manager);
        await context.recordRotation(manager, { purpose, kid: made.kid, retiredKid: made.retiredKid });
        return made;
      }),
    );
    io.stdout.write(`rotated ${purpose} key: ${rotated.retiredKid ?? 'none'} -> ${rotated.kid}\n`);
    return 0;
  };
}

/** `provider:rotate-keys`, run inside the application: `contextFor` gives the rotation context for this run. */
export function rotateProviderKeysCommand(contextFor: (command: OperatorCommandContext) => KeyRotationContext): OperatorCommand {
  return {
    options: {},
    async run(c) {
      const context = contextFor(c);
      const rotated = await context.transaction(async (manager) => {
        const results = [];
        for (const keyAlg of KEY_ALGS.provider) {
          const result = await context.keys.rotate('provider', manager, keyAlg);
          await context.recordRotation(manager, { purpose: 'provider', kid: result.kid, retiredKid: result.retiredKid });
          results.push({ alg: keyAlg, ...result });
        }
        return results;
      });
      for (const r of rotated) c.io.out(`Clé ${r.alg} du fournisseur : ${r.retiredKid ?? 'aucune'} -> ${r.kid}`);
      return 0;
    },
  };
}
