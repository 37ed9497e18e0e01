import type { KeysService } from '../../keys/keys.service.js';
import { formatVerifierKey, SIGNATURE_TYPE, type SignerKey } from '../notes/note.keys.js';
import type { EntityManager } from 'typeorm';

/**
 * Names of the journal's C2SP checkpoints (docs/decisions/0106-journal-c2sp-checkpoints.md):
 * one origin per chain, `<host>/journal/<chain>`, all signed by the journal's
 * note key named `<host>/journal`. The host is that of PUBLIC_URL (with its
 * port when it has one), without scheme, as C2SP origins are written.
 */
export function journalNoteKeyName(publicUrl: string): string {
  return `${new URL(publicUrl).host}/journal`;
}

/**
 * The origin of a chain's checkpoints over tree version 2 (docs/decisions/0109):
 * `<host>/journal/v2/<chain>`. A new origin is a new log for witnesses, so
 * the notes of version 1, `<host>/journal/<chain>`, stay valid under theirs.
 */
export function journalOrigin(publicUrl: string, chain: string): string {
  return `${journalNoteKeyName(publicUrl)}/v2/${chain}`;
}

/** The journal's note signer (the key store's active `journal-note` key, named for PUBLIC_URL). */
export async function journalNoteSigner(keys: KeysService, publicUrl: string, manager?: EntityManager): Promise<SignerKey> {
  return { name: journalNoteKeyName(publicUrl), ...(await keys.noteSigningKey(manager)) };
}

/** The verifier keys of the journal's notes, active first, as served at /.well-known/procuration/journal-note-keys. */
export async function journalNoteVerifierKeys(keys: KeysService, publicUrl: string): Promise<string[]> {
  const name = journalNoteKeyName(publicUrl);
  return (await keys.notePublicKeys()).map((key) => formatVerifierKey(name, SIGNATURE_TYPE.ed25519, key));
}
