import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner.js';
import { DEMO_PARTNER, type DemoPartner } from '../demo-partner/demo-partner.js';
import { PartnersService } from '../partners/partners.service.js';
import { PARTNER_SCOPES } from '../partners/partners.types.js';

/**
 * Registers the demo partner service ("Démarche de démonstration —
 * Logement") with its development secret, when missing (idempotent,
 * journaled as `system`). Refused in production.
 */
export async function seedDemoPartner(app: INestApplicationContext, nodeEnv: string, partner: DemoPartner): Promise<{ created: boolean }> {
  if (nodeEnv === 'production') throw new Error('The demo partner is never registered in production');
  const partners = app.get(PartnersService);
  return app.get(TransactionRunner).run(async (m) => {
    const existing = await partners.findByClientId(m, DEMO_PARTNER.clientId);
    if (existing) {
      if (!existing.redirectUris.includes(partner.redirectUri)) {
        new Logger('DemoSeed').warn(`the demo partner is registered for ${existing.redirectUris.join(' ')}, not ${partner.redirectUri}`);
      }
      return { created: false };
    }
    await partners.register(
      m,
      {
        name: DEMO_PARTNER.name,
        clientId: DEMO_PARTNER.clientId,
        authMethod: 'client_secret_basic',
        redirectUris: [partner.redirectUri],
        postLogoutRedirectUris: [partner.postLogoutRedirectUri],
        demarches: [...DEMO_PARTNER.demarches],
        scopes: [...PARTNER_SCOPES],
      },
      { type: 'system', id: null },
      { developmentSecret: DEMO_PARTNER.clientSecret },
    );
    return { created: true };
  });
}
