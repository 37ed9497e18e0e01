import type { JournalAction, JournalActionDetails } from './journal.actions.js';

/** The chain of events that belong to no structure. */
export const NATIONAL_CHAIN = 'national';

export const ACTOR_TYPES = ['aidant', 'usager', 'operator', 'partner', 'system'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export interface JournalActor {
  type: ActorType;
  id: string | null;
}

/** Who or what the event is about, by id only. */
export interface JournalSubjects {
  usagerId?: string | null;
  mandateId?: string | null;
  aidantId?: string | null;
  partnerId?: string | null;
}

/** Facts of the HTTP request that caused the event (see `requestFactsOf`). */
export interface RequestFacts {
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

/** One event, as a module appends it inside its own transaction. */
export interface JournalEvent<A extends JournalAction> {
  action: A;
  /** The structure's chain; `null` for the national chain. */
  structureId: string | null;
  actor: JournalActor;
  subjects?: JournalSubjects;
  demarche?: string | null;
  request?: RequestFacts;
  details: JournalActionDetails[A];
}

/** What `append` returns: the entry's id (its `seq` and `hash` come when it is sealed). */
export interface AppendedEntry {
  id: string;
  chain: string;
}

/**
 * A sealed entry as the chain hashes it and as exports carry it. Field order
 * does not matter: the hash is over the RFC 8785 canonical form.
 */
export interface JournalEntry {
  id: string;
  chain: string;
  seq: number;
  /** Database time, RFC 3339 UTC with milliseconds (`2026-01-31T09:00:00.000Z`). */
  at: string;
  action: string;
  actor: { type: string; id: string | null };
  subjects: { usagerId: string | null; mandateId: string | null; aidantId: string | null; partnerId: string | null };
  demarche: string | null;
  request: { ip: string | null; userAgent: string | null; requestId: string | null };
  details: Record<string, unknown>;
}

export interface SealedJournalEntry extends JournalEntry {
  prevHash: string;
  hash: string;
}

/** A signed statement that a chain had `hash` at `seq` at time `at`. */
export interface JournalCheckpoint {
  chain: string;
  seq: number;
  hash: string;
  at: string;
  kid: string;
  /** Compact JWS (ES256) whose payload is `{chain, seq, hash, at}`. */
  jws: string;
}
