import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import type { AidantActor } from '../aidants/aidant-actor.js';
import { requireStructureAccess } from '../aidants/structure-access.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { JournalQueries } from '../journal/reading/journal-queries.js';
import { chainOf, JournalService } from '../journal/journal.service.js';
import type { JournalCheckpoint, RequestFacts } from '../journal/journal.types.js';
import { ChainVerifier, type ChainBreak } from '../journal/verification/chain-verifier.js';
import { KeysService } from '../keys/keys.service.js';
import { JournalWitnessSender } from '../journal/witnesses/witness-sender.js';
import { frenchDateTime } from '../web/french/dates.js';
import { APP_CONFIG } from '../shared/app-config.module.js';

const PAGE = 5000;

/** One verification of a structure's chain, up to the seq fixed when it started. */
export interface VerificationRun {
  id: string;
  chain: string;
  startedAt: Date;
  finishedAt: Date | null;
  /** Entries appended after the start are not part of this verification. */
  upToSeq: number;
  checked: number;
  state: 'running' | 'done' | 'failed';
  broken: ChainBreak | null;
  lastCheckpoint: JournalCheckpoint | null;
}

/**
 * Verifies a structure's chain in the background, with progress, reusing the
 * journal's ChainVerifier (every hash recomputed, every checkpoint signature
 * checked). Runs are kept in this process's memory, one per structure: with
 * several instances behind a load balancer, the page polled must reach the
 * instance that started the run (docs/decisions/0700-supervision-verification-in-memory.md).
 */
@Injectable()
export class ChainVerificationService {
  private readonly logger = new Logger('SupervisionVerification');
  private readonly runs = new Map<string, VerificationRun>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly queries: JournalQueries,
    private readonly journal: JournalService,
    private readonly transactions: TransactionRunner,
    private readonly keys: KeysService,
    private readonly witnesses: JournalWitnessSender,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Starts a verification (or returns the one running) and journals it when it ends. */
  async start(actor: AidantActor, structureId: string, request: RequestFacts): Promise<VerificationRun> {
    requireStructureAccess(actor, structureId);
    const chain = chainOf(structureId);
    const running = this.runs.get(chain);
    if (running?.state === 'running') return running;
    await this.journal.flush();
    const run: VerificationRun = {
      id: randomUUID(),
      chain,
      startedAt: new Date(),
      finishedAt: null,
      upToSeq: await this.queries.headSeq(this.dataSource.manager, chain),
      checked: 0,
      state: 'running',
      broken: null,
      lastCheckpoint: null,
    };
    this.runs.set(chain, run);
    this.done = this.verify(run)
      .then(() => this.record(actor, structureId, request, run))
      .catch((error: unknown) => {
        run.state = 'failed';
        run.finishedAt = new Date();
        this.logger.error({ err: error, chain }, 'journal verification failed');
      });
    return run;
  }

  /** The latest verification's promise (tests and shutdown wait for it). */
  done: Promise<void> = Promise.resolve();

  async status(actor: AidantActor, structureId: string) {
    requireStructureAccess(actor, structureId);
    const chain = chainOf(structureId);
    const lastCheckpoint = await this.queries.lastCheckpoint(this.dataSource.manager, chain);
    const run = this.runs.get(chain) ?? null;
    const witnesses = (await this.witnesses.statusOf(chain)).map((w) => ({
      ...w,
      cosignedAtText: w.cosigned ? frenchDateTime(w.cosigned.cosignedAt) : null,
      lastErrorAtText: w.lastErrorAt ? frenchDateTime(w.lastErrorAt) : null,
      nextAttemptAtText: w.nextAttemptAt ? frenchDateTime(w.nextAttemptAt) : null,
    }));
    return {
      witnesses,
      run,
      percent: run && run.upToSeq > 0 ? Math.floor((run.checked / run.upToSeq) * 100) : 100,
      lastCheckpoint,
      jwksUrl: `${this.config.publicUrl}/.well-known/procuration/jwks.json`,
      command: `npm run journal:verify-file -- ~/Téléchargements/journal-${chain}-${new Date().toISOString().slice(0, 10)}.jsonl --jwks ${this.config.publicUrl}/.well-known/procuration/jwks.json`,
    };
  }

  private async verify(run: VerificationRun): Promise<void> {
    const { keys } = await this.keys.publicJwks(['journal']);
    const verifier = new ChainVerifier(run.chain, keys);
    const manager = this.dataSource.manager;
    let after = 0;
    while (after < run.upToSeq) {
      const entries = await this.queries.bySeq(manager, run.chain, { after, upTo: run.upToSeq, limit: PAGE });
      if (entries.length === 0) {
        run.broken = { chain: run.chain, seq: after + 1, message: `entries ${after + 1} to ${run.upToSeq} are missing` };
        break;
      }
      const last = entries[entries.length - 1]!.seq;
      const checkpoints = await this.queries.checkpointsBetween(manager, run.chain, after, last);
      run.broken = await feed(verifier, entries, checkpoints);
      run.checked = verifier.entries;
      if (run.broken) break;
      after = last;
      // Other requests go first between pages.
      await new Promise((resolve) => setImmediate(resolve));
    }
    run.lastCheckpoint = verifier.lastCheckpoint;
    run.state = 'done';
    run.finishedAt = new Date();
  }

  private async record(actor: AidantActor, structureId: string, request: RequestFacts, run: VerificationRun): Promise<void> {
    await this.transactions.run((manager) =>
      this.journal.append(manager, {
        action: 'journal.verified',
        structureId,
        actor: { type: 'aidant', id: actor.aidantId },
        request,
        details: { chain: run.chain, ok: run.broken === null, entries: run.checked, upToSeq: run.upToSeq, brokenAtSeq: run.broken?.seq ?? null },
      }),
    );
  }
}

async function feed(
  verifier: ChainVerifier,
  entries: Parameters<ChainVerifier['entry']>[0][],
  checkpoints: JournalCheckpoint[],
): Promise<ChainBreak | null> {
  let next = 0;
  for (const entry of entries) {
    const broken = verifier.entry(entry);
    if (broken) return broken;
    while (next < checkpoints.length && checkpoints[next]!.seq <= entry.seq) {
      const checkpointBroken = await verifier.checkpoint(checkpoints[next++]!);
      if (checkpointBroken) return checkpointBroken;
    }
  }
  return null;
}
