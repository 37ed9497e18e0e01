import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { AppConfig } from '../../config/config.js';
import { journalNoteKeyName } from '../journal/checkpoints/checkpoint-notes.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { KeysService, SERVICE_JWKS_PURPOSES } from './keys.service.js';

/** The service's public keys (journal checkpoints, attestations); the provider face publishes its own. */
@Controller()
export class KeysController {
  constructor(
    private readonly keys: KeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('/.well-known/procuration/jwks.json')
  @Header('Content-Type', 'application/jwk-set+json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks() {
    return this.keys.publicJwks(SERVICE_JWKS_PURPOSES);
  }

  /**
   * The verifier keys of the journal's C2SP checkpoint notes, one per line
   * (`<name>+<key ID>+<key>`), the active key first, then retired ones.
   */
  @Get('/.well-known/procuration/journal-note-keys')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=300')
  async journalNoteKeys(): Promise<string> {
    const keys = await this.keys.noteVerifierKeys(journalNoteKeyName(this.config.publicUrl));
    return keys.map((key) => `${key}\n`).join('');
  }
}
