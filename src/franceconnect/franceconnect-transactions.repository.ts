import { LessThan, type EntityManager } from 'typeorm';
import { FranceConnectTransaction } from './franceconnect-transaction.entity.js';

export type NewTransaction = Omit<FranceConnectTransaction, 'id' | 'usedAt'>;

/** Why a returned `state` cannot be consumed. */
export type ConsumeRefusal = 'state_unknown' | 'state_used' | 'state_expired' | 'state_other_session';

export type ConsumeResult =
  | { ok: true; transaction: FranceConnectTransaction }
  | { ok: false; reason: ConsumeRefusal; transaction: FranceConnectTransaction | null };

/** How long consumed and expired rows are kept (to tell a replay from a forgery), then purged. */
const KEEP_MS = 24 * 3600 * 1000;

export async function insertTransaction(manager: EntityManager, row: NewTransaction): Promise<FranceConnectTransaction> {
  return manager.save(FranceConnectTransaction, manager.create(FranceConnectTransaction, { ...row, usedAt: null }));
}

/**
 * Marks the transaction of this state hash used, if it is unused, belongs
 * to this session and is unexpired (checked in that order). The row is locked first so two
 * callbacks racing with the same state cannot both succeed. A row bound to
 * another session is left untouched (its owner may still come back).
 */
export async function consumeTransaction(
  manager: EntityManager,
  q: { stateHash: string; sessionBinding: string | null; now: Date },
): Promise<ConsumeResult> {
  const transaction = await manager.findOne(FranceConnectTransaction, {
    where: { stateHash: q.stateHash },
    lock: { mode: 'pessimistic_write' },
  });
  if (!transaction) return { ok: false, reason: 'state_unknown', transaction: null };
  // A replay is a replay, from whichever browser it comes.
  if (transaction.usedAt !== null) return { ok: false, reason: 'state_used', transaction };
  if (q.sessionBinding === null || transaction.sessionBinding !== q.sessionBinding) {
    return { ok: false, reason: 'state_other_session', transaction };
  }
  if (transaction.expiresAt.getTime() <= q.now.getTime()) return { ok: false, reason: 'state_expired', transaction };
  transaction.usedAt = q.now;
  await manager.update(FranceConnectTransaction, { id: transaction.id }, { usedAt: q.now });
  return { ok: true, transaction };
}

/** Removes rows that ended more than a day ago. */
export async function purgeOldTransactions(manager: EntityManager, now: Date): Promise<void> {
  await manager.delete(FranceConnectTransaction, { expiresAt: LessThan(new Date(now.getTime() - KEEP_MS)) });
}
