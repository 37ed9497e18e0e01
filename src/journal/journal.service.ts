import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { preparedStatement, runPrepared } from '../database/prepared-statement.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { NotFoundError } from '../shared/domain-error.js';
import { JOURNAL_ACTION_PATTERN, type JournalAction } from './journal.actions.js';
import { JournalExport, type LineSink } from './export/chain-export.js';
import { JournalSealer } from './sealing/sealer.js';
import {
  ACTOR_TYPES,
  NATIONAL_CHAIN,
  type AppendedEntry,
  type JournalActor,
  type JournalCheckpoint,
  type JournalEvent,
  type RequestFacts,
} from './journal.types.js';
import { JournalVerification, type VerificationReport } from './verification/database-verification.js';
import { USER_AGENT_MAX_LENGTH } from './request-facts.js';

const INSERT_PENDING = preparedStatement(
  'journal_insert_pending',
  `INSERT INTO journal_pending
      (id, chain, action, actor_type, actor_id, usager_id, mandate_id, aidant_id, partner_id,
       demarche, ip, user_agent, request_id, details)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Called by `append` after each entry, with the same transaction: a higher
 * module acts on an event without the event's module knowing it (notices).
 */
export type AppendListener = (manager: EntityManager, event: JournalEvent<JournalAction>, entry: AppendedEntry) => Promise<void>;

/** A programming error in a call to the journal (never caused by a person's input). */
export class JournalUsageError extends Error {}

/**
 * The journal's one entry point for other modules. `append` writes the event
 * inside the caller's transaction: it commits or rolls back with the change
 * it records. The entry takes its place in its chain (seq, hashes) when the
 * sequencer seals it, well under a second after commit.
 */
@Injectable()
export class JournalService {
  private readonly listeners: AppendListener[] = [];

  constructor(
    private readonly sealer: JournalSealer,
    private readonly verification: JournalVerification,
    private readonly exporter: JournalExport,
    private readonly transactions: TransactionRunner,
    private readonly dataSource: DataSource,
  ) {}

  async append<A extends JournalAction>(manager: EntityManager, event: JournalEvent<A>): Promise<AppendedEntry> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new JournalUsageError('JournalService.append must be called with the manager of an open transaction');
    }
    const entry = await this.insertPending(manager, event);
    for (const listener of this.listeners) await listener(manager, event, entry);
    return entry;
  }

  /** Registers a listener run inside `append`'s transaction (not for `appendAlone`). */
  onAppend(listener: AppendListener): void {
    this.listeners.push(listener);
  }

  /**
   * Records an event that comes with no other change (a read that is
   * journaled, such as a partner served userinfo). The entry is one INSERT,
   * which PostgreSQL commits atomically on its own: it is durable when this
   * returns, and an explicit transaction around it would only add two round
   * trips (BEGIN, COMMIT). Anything that also changes a row must use
   * `append` with that change's transaction instead.
   */
  appendAlone<A extends JournalAction>(event: JournalEvent<A>): Promise<AppendedEntry> {
    return this.insertPending(this.dataSource.manager, event);
  }

  private async insertPending<A extends JournalAction>(manager: EntityManager, event: JournalEvent<A>): Promise<AppendedEntry> {
    const chain = chainOf(event.structureId);
    checkEvent(event);
    const id = randomUUID();
    const subjects = event.subjects ?? {};
    const request = event.request ?? {};
    await runPrepared(
      manager,
      INSERT_PENDING,
      [
        id,
        chain,
        event.action,
        event.actor.type,
        event.actor.id,
        subjects.usagerId ?? null,
        subjects.mandateId ?? null,
        subjects.aidantId ?? null,
        subjects.partnerId ?? null,
        event.demarche ?? null,
        request.ip ?? null,
        request.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
        request.requestId ?? null,
        JSON.stringify(event.details),
      ],
    );
    this.sealer.hint();
    return { id, chain };
  }

  /** Seals every committed pending entry now (tests, exports, shutdown). */
  flush(): Promise<void> {
    return this.sealer.flush();
  }

  /** Signs a checkpoint of the current head of the given chains (all when absent), after sealing. */
  checkpoint(chains?: readonly string[]): Promise<JournalCheckpoint[]> {
    return this.sealer.checkpointNow(chains);
  }

  /** Verifies one chain or all of them, as stored (see JournalVerification). */
  async verify(options: { chain?: string } = {}): Promise<VerificationReport> {
    if (options.chain !== undefined) await this.requireChain(options.chain);
    return this.verification.verify(options);
  }

  /** Chains that have at least one sealed entry. */
  chains(): Promise<string[]> {
    return this.verification.chains();
  }

  /**
   * Exports a chain as JSON Lines: journals the export itself, seals, signs
   * a checkpoint of the head, then streams every entry up to that
   * checkpoint, so the whole file is covered by a signature.
   */
  async exportChain(
    chain: string,
    by: { actor: JournalActor; request?: RequestFacts },
    sink: LineSink,
  ): Promise<{ entries: number; checkpoints: number }> {
    await this.requireChain(chain);
    await this.transactions.run((manager) =>
      this.append(manager, {
        action: 'journal.exported',
        structureId: chain === NATIONAL_CHAIN ? null : chain,
        actor: by.actor,
        request: by.request,
        details: { chain, format: 'jsonl' },
      }),
    );
    await this.checkpoint([chain]);
    const upTo = await this.verification.lastCheckpointSeq(chain);
    return this.exporter.write(chain, upTo, sink);
  }

  private async requireChain(chain: string): Promise<void> {
    if (!(await this.verification.chainExists(chain))) {
      throw new JournalChainNotFoundError('Ce journal n’existe pas.', `journal chain ${chain} does not exist`);
    }
  }
}

export class JournalChainNotFoundError extends NotFoundError {}

/** The chain of a structure (its id), or the national chain. */
export function chainOf(structureId: string | null): string {
  if (structureId === null) return NATIONAL_CHAIN;
  if (!UUID.test(structureId)) throw new JournalUsageError('journal structureId must be a uuid or null');
  return structureId.toLowerCase();
}

function checkEvent(event: JournalEvent<JournalAction>): void {
  if (!JOURNAL_ACTION_PATTERN.test(event.action)) throw new JournalUsageError(`journal action ${event.action} is not a dotted name`);
  if (!ACTOR_TYPES.includes(event.actor.type)) throw new JournalUsageError(`journal actor type ${event.actor.type} is unknown`);
  const details: unknown = event.details;
  if (details === null || typeof details !== 'object' || Array.isArray(details)) {
    throw new JournalUsageError(`journal details of ${event.action} must be an object`);
  }
}
