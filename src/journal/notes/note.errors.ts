/**
 * Why a signed note, a key or a checkpoint was refused. `malformed`: the text
 * breaks the format; `unknown-key`: no signature by a key the verifier
 * trusts; `bad-signature`: a trusted key's signature does not verify.
 */
export type NoteFault = 'malformed' | 'unknown-key' | 'bad-signature' | 'bad-key';

export class NoteError extends Error {
  constructor(
    readonly fault: NoteFault,
    message: string,
  ) {
    super(message);
    this.name = 'NoteError';
  }
}
