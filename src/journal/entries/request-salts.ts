/**
 * The random salts of the entries' request commitments
 * (docs/decisions/0109): table `journal_request_salts`, one row per sealed
 * entry, append-only, written in the transaction that seals the entry.
 */
import { randomBytes } from 'node:crypto';
import { preparedStatement, type PreparedStatement } from '../../database/prepared-statement.js';
import { REQUEST_SALT_BYTES } from './hash-chain.js';

const WRITE = preparedStatement(
  'journal_request_salts_write',
  `INSERT INTO journal_request_salts (chain, seq, salt)
   SELECT chain, seq, decode(salt, 'hex') FROM unnest($1::text[], $2::bigint[], $3::text[]) AS x(chain, seq, salt)`,
);

export interface RequestSalt {
  chain: string;
  seq: number;
  salt: Buffer;
}

/** `count` fresh salts from one call to the random source (the sealer asks for a batch at a time). */
export function newRequestSalts(count: number): Buffer[] {
  const bytes = randomBytes(count * REQUEST_SALT_BYTES);
  return Array.from({ length: count }, (_, i) => bytes.subarray(i * REQUEST_SALT_BYTES, (i + 1) * REQUEST_SALT_BYTES));
}

export async function writeRequestSalts(
  query: (statement: PreparedStatement, values: unknown[]) => Promise<unknown[]>,
  salts: readonly RequestSalt[],
): Promise<void> {
  if (salts.length === 0) return;
  await query(WRITE, [salts.map((s) => s.chain), salts.map((s) => s.seq), salts.map((s) => s.salt.toString('hex'))]);
}
