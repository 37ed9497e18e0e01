/**
 * The witness over HTTP (plain node:http, nothing of the app): POST
 * /add-checkpoint and, for monitors, GET /<hex SHA-256 of origin>/checkpoint.
 * Its key comes from the configuration or is generated into its state file
 * on first start.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WitnessConfig } from '../../config/witness-config.js';
import { ed25519Cosigner } from '../journal/notes/cosignature.js';
import { formatSignerKey, generateSignerKey, parseSignerKey, parseVerifierKey, type SignerKey } from '../journal/notes/note.keys.js';
import { ed25519Verifier } from '../journal/notes/note.js';
import { WitnessRefusal } from './witness.errors.js';
import { WitnessState } from './witness.state.js';
import { Witness, type WitnessEvent } from './witness.js';

/** Largest request body read: a checkpoint with its signatures and 63 proof lines is a few kilobytes. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface WitnessOptions {
  now?: () => Date;
  report?: (event: WitnessEvent) => void;
}

export interface RunningWitness {
  url: string;
  /** The witness's verifier key (cosignature type 0x04), to give to the logs it serves. */
  verifierKey: string;
  close(): Promise<void>;
}

function witnessKey(config: WitnessConfig, state: WitnessState): SignerKey {
  if (config.signerKey) return parseSignerKey(config.signerKey);
  if (state.generatedKey) return parseSignerKey(state.generatedKey);
  const key = generateSignerKey(config.name);
  state.saveGeneratedKey(formatSignerKey(key.name, key.privateKey));
  return key;
}

export function buildWitness(config: WitnessConfig, options: WitnessOptions = {}): Witness {
  const state = WitnessState.open(config.stateFile);
  const logs = config.logs.map((log) => ({ origin: log.origin, prefix: log.prefix, verifier: ed25519Verifier(parseVerifierKey(log.verifierKey)) }));
  return new Witness(logs, ed25519Cosigner(witnessKey(config, state)), state, options.now ?? (() => new Date()), options.report);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > MAX_BODY_BYTES) throw new WitnessRefusal(413, `the request is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new WitnessRefusal(400, 'the request is not UTF-8 text');
  }
}

function send(response: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  response.end(body);
}

async function route(witness: Witness, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://witness').pathname;
  if (path === '/add-checkpoint') {
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST');
      throw new WitnessRefusal(405, 'add-checkpoint takes a POST');
    }
    send(response, 200, witness.addCheckpoint(await readBody(request)));
    return;
  }
  const monitoring = /^\/([0-9a-f]{64})\/checkpoint$/.exec(path);
  if (monitoring && request.method === 'GET') {
    send(response, 200, witness.latestCheckpoint(monitoring[1]));
    return;
  }
  throw new WitnessRefusal(404, 'no such witness endpoint');
}

function answer(witness: Witness, report: (event: WitnessEvent) => void, request: IncomingMessage, response: ServerResponse): void {
  route(witness, request, response).catch((error: unknown) => {
    if (error instanceof WitnessRefusal && error.status === 409) {
      send(response, 409, `${error.currentSize}\n`, 'text/x.tlog.size');
    } else if (error instanceof WitnessRefusal) {
      send(response, error.status, `${error.message}\n`);
    } else {
      report({ event: 'refused', status: 500, reason: error instanceof Error ? error.message : String(error) });
      send(response, 500, 'internal error\n');
    }
  });
}

export async function startWitness(config: WitnessConfig, options: WitnessOptions = {}): Promise<RunningWitness> {
  const witness = buildWitness(config, options);
  const report = options.report ?? (() => undefined);
  const server = createServer((request, response) => answer(witness, report, request, response));
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    verifierKey: witness.cosigner.verifierKey,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
