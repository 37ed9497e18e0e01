import { Controller, Get, Header } from '@nestjs/common';
import { KeysService, SERVICE_JWKS_PURPOSES } from './keys.service.js';

/** The service's public keys (journal checkpoints, attestations); the provider face publishes its own. */
@Controller()
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Get('/.well-known/procuration/jwks.json')
  @Header('Content-Type', 'application/jwk-set+json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks() {
    return this.keys.publicJwks(SERVICE_JWKS_PURPOSES);
  }

}
