/**
 * The body of a C2SP tlog-witness add-checkpoint request: `old <size>`, up
 * to 63 base64 consistency proof lines, an empty line, the signed checkpoint
 * note. Anything else is a 400.
 */
import { NoteError } from '../journal/notes/note.errors.js';
import { parseNote, type Note } from '../journal/notes/note.js';
import { parseCheckpoint, type Checkpoint } from '../journal/notes/checkpoint.js';
import { WitnessRefusal } from './witness.errors.js';

export const MAX_PROOF_LINES = 63;

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Buffer[];
  note: Note;
  /** The whole note as sent, signatures included. */
  noteText: string;
  checkpoint: Checkpoint;
}

const OLD_LINE = /^old (0|[1-9][0-9]*)$/;
const HASH_LINE = /^[A-Za-z0-9+/]{43}=$/;

export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const split = body.indexOf('\n\n');
  if (split < 0) throw new WitnessRefusal(400, 'the request has no empty line before the checkpoint');
  const [oldLine, ...proofLines] = body.slice(0, split).split('\n');
  const old = OLD_LINE.exec(oldLine);
  if (!old || !Number.isSafeInteger(Number(old[1]))) throw new WitnessRefusal(400, 'the first line is not "old <size>"');
  if (proofLines.length > MAX_PROOF_LINES) throw new WitnessRefusal(400, `more than ${MAX_PROOF_LINES} consistency proof lines`);
  const bad = proofLines.findIndex((line) => !HASH_LINE.test(line));
  if (bad >= 0) throw new WitnessRefusal(400, `consistency proof line ${bad + 1} is not a base64 SHA-256 hash`);
  const noteText = body.slice(split + 2);
  try {
    const note = parseNote(noteText);
    return {
      oldSize: Number(old[1]),
      proof: proofLines.map((line) => Buffer.from(line, 'base64')),
      note,
      noteText,
      checkpoint: parseCheckpoint(note.text),
    };
  } catch (error) {
    if (error instanceof NoteError) throw new WitnessRefusal(400, `the checkpoint is malformed: ${error.message}`);
    throw error;
  }
}
