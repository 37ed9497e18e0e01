import type { INestApplicationContext } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner.js';
import { KnownAccounts } from './accounts.js';

/** Published demo credentials (development only): README "Demo accounts". */
export const DEMO_PASSWORD = 'Procuration-demo-2026';
export const DEMO_TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

export const DEMO_STRUCTURES = [
  { key: 'vesoul', name: 'Médiathèque de Vesoul', siret: '21700550300016', type: 'mediatheque', address: '2 rue Paul Petitclerc, 70000 Vesoul' },
  { key: 'gray', name: 'France Services de Gray', siret: '21700294000013', type: 'france_services', address: '9 place Charles de Gaulle, 70100 Gray' },
] as const;

export const DEMO_ACCOUNTS = [
  { email: 'referente@demo.procuration.test', givenName: 'Hélène', familyName: 'Marchand', profession: 'Responsable de médiathèque', structure: 'vesoul', roles: ['referent'] },
  { email: 'aidant@demo.procuration.test', givenName: 'Karim', familyName: 'Benali', profession: 'Médiateur numérique', structure: 'vesoul', roles: ['aidant'] },
  { email: 'aidante@demo.procuration.test', givenName: 'Sophie', familyName: 'Lambert', profession: 'Conseillère numérique', structure: 'vesoul', roles: ['aidant'] },
  { email: 'aidant@gray.procuration.test', givenName: 'Thomas', familyName: 'Girard', profession: 'Agent France Services', structure: 'gray', roles: ['aidant', 'referent'] },
] as const;

/**
 * Creates the demo structures and accounts that are missing (idempotent,
 * journaled as `system`). Refused in production whatever the settings say.
 */
export async function runDemoSeed(app: INestApplicationContext, nodeEnv: string): Promise<{ created: number }> {
  if (nodeEnv === 'production') throw new Error('The demo seed never runs in production');
  const known = new KnownAccounts(app);
  return app.get(TransactionRunner).run(async (m) => {
    let created = 0;
    const ids: Record<string, string> = {};
    for (const s of DEMO_STRUCTURES) {
      const result = await known.structure(m, s);
      ids[s.key] = result.structure.id;
      created += result.created ? 1 : 0;
    }
    for (const a of DEMO_ACCOUNTS) {
      const result = await known.aidant(m, {
        ...a,
        password: DEMO_PASSWORD,
        totpSecret: DEMO_TOTP_SECRET,
        memberships: [{ structureId: ids[a.structure]!, roles: [...a.roles] }],
      });
      created += result.created ? 1 : 0;
    }
    return { created };
  });
}

/** The lines `npm start` prints for the person trying the demo. */
export function demoCredentialsText(publicUrl: string): string {
  const rows = DEMO_ACCOUNTS.map((a) => {
    const structure = DEMO_STRUCTURES.find((s) => s.key === a.structure)!.name;
    return `  ${a.email.padEnd(34)} ${a.roles.join(' + ').padEnd(18)} ${structure}`;
  });
  return [
    'Comptes de démonstration (développement uniquement) :',
    ...rows,
    `  mot de passe : ${DEMO_PASSWORD}`,
    `  secret TOTP (application, pas de 30 s) : ${DEMO_TOTP_SECRET}`,
    `  connexion : ${publicUrl}/aidant/connexion`,
  ].join('\n');
}
