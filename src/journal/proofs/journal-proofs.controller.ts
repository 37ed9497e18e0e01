import { Controller, Get, Header, Inject, Param, Query } from '@nestjs/common';
import type { AppConfig } from '../../../config/config.js';
import { KeysService } from '../../keys/keys.service.js';
import { APP_CONFIG } from '../../shared/app-config.module.js';
import { journalNoteVerifierKeys } from '../checkpoints/checkpoint-notes.js';
import { JournalProofs } from './journal-proofs.service.js';

/**
 * Public proofs of the journal: a chain's latest checkpoint note and the
 * consistency proof between two of its sizes. Sizes and hashes only, no
 * entry: nothing personal (docs/journal-proofs.md).
 */
@Controller()
export class JournalProofsController {
  constructor(
    private readonly proofs: JournalProofs,
    private readonly keys: KeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The verifier keys of the journal's C2SP checkpoint notes, one per line
   * (`<name>+<key ID>+<key>`), beside the JWKS: the active key first, then retired ones.
   */
  @Get('.well-known/procuration/journal-note-keys')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=300')
  async noteKeys(): Promise<string> {
    return (await journalNoteVerifierKeys(this.keys, this.config.publicUrl)).map((key) => `${key}\n`).join('');
  }

  /** The C2SP signed checkpoint note, as witnesses and the Go tools read it. */
  @Get('journal/:chain/checkpoint')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  checkpoint(@Param('chain') chain: string): Promise<string> {
    return this.proofs.latestCheckpoint(chain);
  }

  /** PROOF(de, a): one base64 hash per line, as in the tlog-witness protocol. */
  @Get('journal/:chain/coherence')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  async consistency(@Param('chain') chain: string, @Query('de') from: unknown, @Query('a') to: unknown): Promise<string> {
    const proof = await this.proofs.consistency(chain, from, to);
    return proof.map((hash) => `${hash.toString('base64')}\n`).join('');
  }
}
