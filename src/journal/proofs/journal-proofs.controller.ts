import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { JournalProofs } from './journal-proofs.service.js';

/**
 * Public proofs of the journal: a chain's latest checkpoint note and the
 * consistency proof between two of its sizes. Sizes and hashes only, no
 * entry: nothing personal (docs/journal-proofs.md).
 */
@Controller('journal')
export class JournalProofsController {
  constructor(private readonly proofs: JournalProofs) {}

  /** The C2SP signed checkpoint note, as witnesses and the Go tools read it. */
  @Get(':chain/checkpoint')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  checkpoint(@Param('chain') chain: string): Promise<string> {
    return this.proofs.latestCheckpoint(chain);
  }

  /** PROOF(de, a): one base64 hash per line, as in the tlog-witness protocol. */
  @Get(':chain/coherence')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  async consistency(@Param('chain') chain: string, @Query('de') from: unknown, @Query('a') to: unknown): Promise<string> {
    const proof = await this.proofs.consistency(chain, from, to);
    return proof.map((hash) => `${hash.toString('base64')}\n`).join('');
  }
}
