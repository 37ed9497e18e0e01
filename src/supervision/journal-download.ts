import type { Writable } from 'node:stream';
import type { Response } from 'express';

/**
 * Writes to a stream (an HTTP response) with back-pressure: resolves `true`
 * once the chunk may be followed by the next, `false` if the client went
 * away (the export stops there, without error).
 */
export function writeChunk(out: Writable, chunk: string): Promise<boolean> {
  if (out.destroyed || out.writableEnded) return Promise.resolve(false);
  if (out.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    out.once('drain', onDrain);
    out.once('close', onClose);
  });
}

/** Where a file download goes: a service writes the file without knowing it is an HTTP response. */
export interface DownloadSink {
  /** Announces the file (before its first chunk). */
  begin(file: { contentType: string; fileName: string }): void;
  /** Writes with back-pressure: `true` once the next chunk may follow, `false` if the client went away. */
  write(chunk: string): Promise<boolean>;
  /** Ends a complete download. */
  end(): void;
  /** Cuts a download that failed half-way: the client sees a broken transfer, never a complete-looking file. */
  abort(): void;
}

/** A download sent as the response: 200, the file's type, an attachment name, never cached. */
export function downloadSinkOf(res: Response): DownloadSink {
  return {
    begin: ({ contentType, fileName }) => {
      res.status(200);
      res.setHeader('Content-Type', contentType);
      res.setHeader('Content-Disposition', `attachment; filename="${fileName}"`);
      res.setHeader('Cache-Control', 'no-store');
    },
    write: (chunk) => writeChunk(res, chunk),
    end: () => res.end(),
    abort: () => res.destroy(),
  };
}
