/** A refusal of the witness protocol: the HTTP status C2SP tlog-witness assigns to it, and why. */
export class WitnessRefusal extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 405 | 409 | 413 | 422,
    message: string,
    /** For a 409: the size of the latest checkpoint cosigned for the origin. */
    readonly currentSize?: number,
  ) {
    super(message);
    this.name = 'WitnessRefusal';
  }
}
