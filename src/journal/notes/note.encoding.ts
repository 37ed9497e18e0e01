/** Strict base64 (RFC 4648 §4, padded) and key-name rules shared by notes and keys. */
import { NoteError } from './note.errors.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes standard padded base64, refusing anything Node would silently skip. */
export function decodeBase64(text: string, what: string): Buffer {
  if (!BASE64.test(text)) throw new NoteError('malformed', `${what} is not base64`);
  return Buffer.from(text, 'base64');
}

/** Key names are non-empty, without Unicode spaces or '+'. */
export function checkKeyName(name: string): void {
  if (name.length === 0 || /[\s+\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(name)) {
    throw new NoteError('malformed', `key name "${name}" is empty or holds a space or a '+'`);
  }
}
