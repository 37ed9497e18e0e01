/**
 * C2SP tlog-checkpoint note text: origin line, tree size, base64 root hash,
 * then optional extension lines. The text is what the log signs and what the
 * witnesses cosign.
 */
import { NoteError } from './note.errors.js';
import { decodeBase64 } from './note.encoding.js';

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
  extensions: string[];
}

const SIZE = /^(0|[1-9][0-9]*)$/;

function checkFields(checkpoint: Checkpoint): void {
  const { origin, size, rootHash, extensions } = checkpoint;
  if (origin.length === 0 || origin.includes('\n')) throw new NoteError('malformed', 'the checkpoint origin is empty or spans lines');
  if (!Number.isSafeInteger(size) || size < 0) throw new NoteError('malformed', `checkpoint size ${size} is not a tree size`);
  if (rootHash.length !== 32) throw new NoteError('malformed', `the checkpoint root hash has ${rootHash.length} bytes, not 32`);
  if (extensions.some((line) => line.length === 0 || line.includes('\n'))) {
    throw new NoteError('malformed', 'a checkpoint extension line is empty or spans lines');
  }
}

/** The note text of a checkpoint, final newline included. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  checkFields(checkpoint);
  const { origin, size, rootHash, extensions } = checkpoint;
  return [origin, String(size), rootHash.toString('base64'), ...extensions].map((line) => `${line}\n`).join('');
}

export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new NoteError('malformed', 'the checkpoint does not end with a newline');
  const [origin, size, root, ...extensions] = text.slice(0, -1).split('\n');
  if (root === undefined) throw new NoteError('malformed', 'a checkpoint has an origin, a size and a root hash line');
  if (!SIZE.test(size)) throw new NoteError('malformed', 'the checkpoint size is not a decimal number without leading zeroes');
  const checkpoint = { origin, size: Number(size), rootHash: decodeBase64(root, 'the checkpoint root hash'), extensions };
  checkFields(checkpoint);
  return checkpoint;
}
