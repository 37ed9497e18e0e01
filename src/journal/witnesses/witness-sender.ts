import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig, JournalWitnessConfig } from '../../../config/config.js';
import { APP_CONFIG } from '../../shared/app-config.module.js';
import { runPrepared } from '../../database/prepared-statement.js';
import { TransactionRunner } from '../../database/transaction-runner.js';
import { consistencyProof } from '../merkle/merkle.proofs.js';
import { parseCheckpoint } from '../notes/checkpoint.js';
import { cosignatureTime, cosignatureVerifier } from '../notes/cosignature.js';
import { parseNote, verifyNote, type NoteVerifier } from '../notes/note.js';
import { parseVerifierKey } from '../notes/note.keys.js';
import { TREE_VERSION, withStoredTree, type NodeQuery } from '../tree/merkle-nodes.js';
import { JournalService } from '../journal.service.js';
import { NATIONAL_CHAIN } from '../journal.types.js';

/** How often the sender looks for checkpoints its witnesses have not cosigned. */
const SEND_INTERVAL_MS = 2_000;
/** Time allowed to a witness to answer one request. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Backoff after failures: 2^attempts seconds, at most this. */
const MAX_BACKOFF_SECONDS = 3_600;

/** What one attempt at a witness for a chain came to. */
export type WitnessOutcome =
  | { witness: string; chain: string; seq: number; result: 'cosigned'; oldSize: number }
  | { witness: string; chain: string; seq: number; result: 'refused'; reason: string }
  | { witness: string; chain: string; seq: number; result: 'failed'; reason: string };

class WitnessFailure extends Error {}

/** What a chain's page shows of one configured witness. */
export interface WitnessStatus {
  name: string;
  /** The latest checkpoint of the chain it cosigned, if any. */
  cosigned: { seq: number; cosignedAt: Date } | null;
  /** Why the latest attempt failed (unreachable, refused…), when it did. */
  lastError: string | null;
  lastErrorAt: Date | null;
  nextAttemptAt: Date | null;
  /** The size of a checkpoint it refused as inconsistent (a fork), while that stands. */
  refusedSeq: number | null;
}

interface Pending {
  chain: string;
  seq: number;
  note: string;
  cosignedSize: number;
  refusedSeq: number | null;
}

/**
 * Sends each chain's latest checkpoint note to every configured witness
 * (C2SP tlog-witness add-checkpoint), outside the sealing transaction: a
 * witness that is down delays nothing, it is retried with backoff and its
 * error is kept for the verification page. The request's `old` is the size
 * the witness last cosigned for the chain, with the consistency proof from
 * it; a 409 gives the witness's own size, adopted for an immediate retry. A
 * checkpoint refused as inconsistent with what the witness cosigned before
 * (422: the history forked) is journaled as `journal.witness_refused`.
 */
@Injectable()
export class JournalWitnessSender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JournalWitnessSender.name);
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<WitnessOutcome[]> = Promise.resolve([]);
  private readonly verifiers: Map<string, NoteVerifier>;
  private readonly witnesses: JournalWitnessConfig[];

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly journal: JournalService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.witnesses = [...config.journal.witnesses];
    this.verifiers = new Map(this.witnesses.map((w) => [w.verifierKey, cosignatureVerifier(parseVerifierKey(w.verifierKey))]));
  }

  /** Adds a witness known only at start (the local witness of development), before the application starts. */
  addWitness(witness: JournalWitnessConfig): void {
    this.witnesses.push(witness);
    this.verifiers.set(witness.verifierKey, cosignatureVerifier(parseVerifierKey(witness.verifierKey)));
  }

  onApplicationBootstrap(): void {
    if (this.witnesses.length === 0) return;
    this.timer = setInterval(() => {
      this.sendDue().catch((error: unknown) => this.logger.warn(`witness round failed: ${error instanceof Error ? error.message : String(error)}`));
    }, SEND_INTERVAL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.current.catch(() => undefined);
  }

  /** One round now (serialised with the timer's): every witness, every chain whose latest checkpoint it lacks and is due. */
  sendDue(options: { ignoreBackoff?: boolean } = {}): Promise<WitnessOutcome[]> {
    const next = this.current.catch(() => []).then(() => this.round(options.ignoreBackoff === true));
    this.current = next;
    return next;
  }

  /** Each configured witness's standing for a chain, in the configuration's order. */
  async statusOf(chain: string): Promise<WitnessStatus[]> {
    if (this.witnesses.length === 0) return [];
    const keys = this.witnesses.map((w) => w.verifierKey);
    const rows: { witness: string; seq: string | null; cosigned_at: Date | null; last_error: string | null; last_error_at: Date | null; next_attempt_at: Date | null; refused_seq: string | null }[] =
      await this.dataSource.query(
        `SELECT w.witness, c.seq, c.cosigned_at, s.last_error, s.last_error_at, s.next_attempt_at, s.refused_seq
           FROM unnest($1::text[]) AS w(witness)
           LEFT JOIN journal_witness_state s ON s.witness = w.witness AND s.chain = $2
           LEFT JOIN LATERAL (SELECT seq, cosigned_at FROM journal_witness_cosignatures c
                               WHERE c.chain = $2 AND c.witness = w.witness ORDER BY seq DESC LIMIT 1) c ON true`,
        [keys, chain],
      );
    const byKey = new Map(rows.map((r) => [r.witness, r]));
    return this.witnesses.map((w) => {
      const r = byKey.get(w.verifierKey);
      return {
        name: w.name,
        cosigned: r?.seq && r.cosigned_at ? { seq: Number(r.seq), cosignedAt: new Date(r.cosigned_at) } : null,
        lastError: r?.last_error ?? null,
        lastErrorAt: r?.last_error_at ? new Date(r.last_error_at) : null,
        nextAttemptAt: r?.next_attempt_at ? new Date(r.next_attempt_at) : null,
        refusedSeq: r?.refused_seq ? Number(r.refused_seq) : null,
      };
    });
  }

  private async round(ignoreBackoff: boolean): Promise<WitnessOutcome[]> {
    const outcomes: WitnessOutcome[] = [];
    for (const witness of this.witnesses) {
      for (const pending of await this.pendingFor(witness, ignoreBackoff)) outcomes.push(await this.send(witness, pending));
    }
    return outcomes;
  }

  private async pendingFor(witness: JournalWitnessConfig, ignoreBackoff: boolean): Promise<Pending[]> {
    const rows: { chain: string; seq: string; note: string; cosigned_size: string | null; refused_seq: string | null }[] = await this.dataSource.query(
      `SELECT k.chain, k.seq, k.note, s.cosigned_size, s.refused_seq
         FROM journal_chains c
         JOIN LATERAL (SELECT chain, seq, note FROM journal_checkpoints k
                        WHERE k.chain = c.chain AND k.tree = ${TREE_VERSION} ORDER BY seq DESC LIMIT 1) k ON true
         LEFT JOIN journal_witness_state s ON s.witness = $1 AND s.chain = c.chain
        WHERE k.seq > coalesce(s.cosigned_size, 0)
          AND ($2 OR s.next_attempt_at IS NULL OR s.next_attempt_at <= now())
        ORDER BY k.chain`,
      [witness.verifierKey, ignoreBackoff],
    );
    return rows.map((r) => ({
      chain: r.chain,
      seq: Number(r.seq),
      note: r.note,
      cosignedSize: Number(r.cosigned_size ?? 0),
      refusedSeq: r.refused_seq === null ? null : Number(r.refused_seq),
    }));
  }

  private async send(witness: JournalWitnessConfig, pending: Pending, retried = false): Promise<WitnessOutcome> {
    const base = { witness: witness.name, chain: pending.chain, seq: pending.seq };
    let oldSize = pending.cosignedSize;
    try {
      const response = await this.post(witness, pending, oldSize);
      const body = await response.text();
      if (response.status === 200) {
        await this.recordCosignature(witness, pending, body);
        return { ...base, result: 'cosigned', oldSize };
      }
      if (response.status === 409 && !retried) {
        const size = /^(0|[1-9][0-9]*)\n?$/.exec(body);
        if (!size || Number(size[1]) > pending.seq) throw new WitnessFailure(`le témoin annonce une taille illisible ou plus grande que le point de contrôle (${body.trim().slice(0, 40)})`);
        oldSize = Number(size[1]);
        return this.send(witness, { ...pending, cosignedSize: oldSize }, true);
      }
      if (response.status === 422) {
        const reason = body.trim().slice(0, 500);
        await this.recordRefusal(witness, pending, reason);
        return { ...base, result: 'refused', reason };
      }
      throw new WitnessFailure(`réponse ${response.status} du témoin : ${body.trim().slice(0, 200)}`);
    } catch (error) {
      const reason = error instanceof WitnessFailure ? error.message : `témoin injoignable (${error instanceof Error ? error.message : String(error)})`;
      await this.recordFailure(witness, pending.chain, reason);
      return { ...base, result: 'failed', reason };
    }
  }

  private async post(witness: JournalWitnessConfig, pending: Pending, oldSize: number): Promise<Response> {
    const query: NodeQuery = async (statement, values) => (await runPrepared(this.dataSource.manager, statement, values)).rows;
    const proof = oldSize === 0 ? [] : await withStoredTree(query, pending.chain, pending.seq, (store) => consistencyProof(store, oldSize, pending.seq));
    const body = `${[`old ${oldSize}`, ...proof.map((hash) => hash.toString('base64'))].join('\n')}\n\n${pending.note}`;
    return fetch(`${witness.url}/add-checkpoint`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  }

  /** Keeps the cosignature line after checking it is the witness's, over this very checkpoint. */
  private async recordCosignature(witness: JournalWitnessConfig, pending: Pending, body: string): Promise<void> {
    const lines = body.split('\n').filter((line) => line.length > 0);
    const verifier = this.verifiers.get(witness.verifierKey)!;
    const line = lines.find((l) => l.startsWith(`— ${verifier.name} `));
    if (!line) throw new WitnessFailure('la réponse du témoin ne contient pas sa cosignature');
    let time: number | undefined;
    try {
      const verified = verifyNote(`${pending.note}${line}\n`, [verifier]);
      time = cosignatureTime(verified.verified[0]!);
    } catch {
      throw new WitnessFailure('la cosignature renvoyée par le témoin ne vérifie pas ce point de contrôle');
    }
    const cosignedAt = new Date((time ?? 0) * 1000).toISOString();
    await this.transactions.run(async (manager) => {
      await manager.query(
        `INSERT INTO journal_witness_cosignatures (chain, seq, witness, cosignature, cosigned_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING`,
        [pending.chain, pending.seq, witness.verifierKey, line, cosignedAt],
      );
      await manager.query(
        `INSERT INTO journal_witness_state (witness, chain, cosigned_size, attempts, last_error, last_error_at, next_attempt_at, refused_seq)
           VALUES ($1, $2, $3, 0, NULL, NULL, NULL, NULL)
         ON CONFLICT (witness, chain) DO UPDATE SET cosigned_size = greatest(journal_witness_state.cosigned_size, $3),
           attempts = 0, last_error = NULL, last_error_at = NULL, next_attempt_at = NULL, refused_seq = NULL`,
        [witness.verifierKey, pending.chain, pending.seq],
      );
    });
  }

  private async recordFailure(witness: JournalWitnessConfig, chain: string, reason: string): Promise<void> {
    this.logger.warn(`witness ${witness.name}, chain ${chain}: ${reason}`);
    await this.dataSource.query(
      `INSERT INTO journal_witness_state AS s (witness, chain, attempts, last_error, last_error_at, next_attempt_at)
         VALUES ($1, $2, 1, $3, now(), now() + make_interval(secs => 2))
       ON CONFLICT (witness, chain) DO UPDATE SET attempts = s.attempts + 1, last_error = $3, last_error_at = now(),
         next_attempt_at = now() + make_interval(secs => least($4, power(2, least(s.attempts + 1, 20))))`,
      [witness.verifierKey, chain, reason, MAX_BACKOFF_SECONDS],
    );
  }

  /** A fork seen by a witness: journaled once per refused checkpoint, with the state, in one transaction. */
  private async recordRefusal(witness: JournalWitnessConfig, pending: Pending, reason: string): Promise<void> {
    this.logger.error(`witness ${witness.name} refused checkpoint ${pending.seq} of chain ${pending.chain} as inconsistent: ${reason}`);
    const origin = parseCheckpoint(parseNote(pending.note).text).origin;
    await this.transactions.run(async (manager) => {
      if (pending.refusedSeq !== pending.seq) {
        await this.journal.append(manager, {
          action: 'journal.witness_refused',
          structureId: pending.chain === NATIONAL_CHAIN ? null : pending.chain,
          actor: { type: 'system', id: null },
          details: { witness: witness.name, origin, size: pending.seq, cosignedSize: pending.cosignedSize, reason },
        });
      }
      await manager.query(
        `INSERT INTO journal_witness_state AS s (witness, chain, attempts, last_error, last_error_at, next_attempt_at, refused_seq)
           VALUES ($1, $2, 1, $3, now(), now() + make_interval(secs => $5), $4)
         ON CONFLICT (witness, chain) DO UPDATE SET attempts = s.attempts + 1, last_error = $3, last_error_at = now(),
           next_attempt_at = now() + make_interval(secs => $5), refused_seq = $4`,
        [witness.verifierKey, pending.chain, `refusé : ${reason}`, pending.seq, MAX_BACKOFF_SECONDS],
      );
    });
  }
}
