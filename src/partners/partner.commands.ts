import { readFileSync } from 'node:fs';
import { TransactionRunner } from '../database/transaction-runner.js';
import { ValidationError } from '../shared/domain-error.js';
import { optionList, optionText, type OperatorCommand } from '../shared/operator-command.js';
import { isAuthMethod } from './partner-input.js';
import { PartnersService } from './partners.service.js';
import type { PartnerSigningAlg, PartnerView } from './partners.types.js';

/** The partner service commands of the operator CLI (`npm run cli`). */

export const PARTNER_USAGE = `  partner:add      --name <nom> --redirect-uri <url> [--redirect-uri <url>…] --demarches logement,social
                   --scopes openid,given_name,family_name   (portées que le service peut recevoir, dont openid)
                   [--post-logout-uri <url>…] [--client-id <id>] [--auth client_secret_basic|client_secret_post|private_key_jwt]
                   [--jwks <fichier JWKS public>] [--id-token-alg ES256|RS256] [--userinfo-alg ES256|RS256]
                   affiche l’identifiant client et, une seule fois, le secret
  partner:list                      liste les services partenaires
  partner:disable <client_id>       désactive un service (ses connexions sont refusées aussitôt)
  partner:rotate-secret <client_id> remplace le secret (affiché une seule fois ; l’ancien cesse de fonctionner)`;

const OPTIONS = {
  name: { type: 'string' },
  'client-id': { type: 'string' },
  auth: { type: 'string' },
  jwks: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-uri': { type: 'string', multiple: true },
  demarches: { type: 'string' },
  scopes: { type: 'string' },
  'id-token-alg': { type: 'string' },
  'userinfo-alg': { type: 'string' },
} as const;

function alg(value: string | undefined, field: string): PartnerSigningAlg | undefined {
  if (value === undefined) return undefined;
  if (value !== 'ES256' && value !== 'RS256') throw new ValidationError({ [field]: 'Algorithme ES256 ou RS256.' });
  return value;
}

function readJwks(path: string | undefined): { keys: object[] } | undefined {
  if (!path) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { keys?: unknown };
    if (!Array.isArray(parsed.keys)) throw new Error('no keys');
    for (const key of parsed.keys as Record<string, unknown>[]) {
      if ('d' in key) throw new ValidationError({ jwks: 'Le fichier contient une clé privée : ne donnez que les clés publiques.' });
    }
    return { keys: parsed.keys as object[] };
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError({ jwks: `Impossible de lire un JWKS dans ${path}.` });
  }
}

function describe(p: PartnerView): string {
  return `${p.active ? 'actif    ' : 'désactivé'} ${p.clientId}  ${p.name}  [${p.demarches.join(', ')}]  portées : ${p.scopes.join(' ')}  ${p.authMethod}  retour : ${p.redirectUris.join(' ')}`;
}

const add: OperatorCommand = {
  options: OPTIONS,
  async run(c) {
    const v = (name: string) => optionText(c, name);
    const auth = v('auth') ?? 'client_secret_basic';
    if (!isAuthMethod(auth)) throw new ValidationError({ auth: 'client_secret_basic, client_secret_post ou private_key_jwt.' });
    const { partner, secret } = await c.app.get(TransactionRunner).run((m) =>
      c.app.get(PartnersService).register(
        m,
        {
          name: v('name') ?? '',
          clientId: v('client-id'),
          authMethod: auth,
          jwks: readJwks(v('jwks')),
          redirectUris: optionList(c, 'redirect-uri'),
          postLogoutRedirectUris: optionList(c, 'post-logout-uri'),
          demarches: (v('demarches') ?? '').split(',').map((d) => d.trim()).filter(Boolean),
          scopes: (v('scopes') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
          idTokenAlg: alg(v('id-token-alg'), 'id-token-alg'),
          userinfoAlg: alg(v('userinfo-alg'), 'userinfo-alg') ?? null,
        },
        c.actor,
      ),
    );
    c.io.out(`Service partenaire enregistré : ${partner.name}`);
    c.io.out(`  client_id     : ${partner.clientId}`);
    if (secret) c.io.out(`  client_secret : ${secret}\n  (affiché une seule fois : transmettez-le au partenaire par un canal sûr)`);
    return 0;
  },
};

const list: OperatorCommand = {
  options: OPTIONS,
  async run({ app, io }) {
    const partners = await app.get(TransactionRunner).run((m) => app.get(PartnersService).list(m));
    if (partners.length === 0) io.out('Aucun service partenaire.');
    for (const p of partners) io.out(describe(p));
    return 0;
  },
};

const disable: OperatorCommand = {
  options: OPTIONS,
  async run({ app, io, positionals, actor }) {
    const partner = await app.get(TransactionRunner).run((m) => app.get(PartnersService).disable(m, positionals[0] ?? '', actor));
    io.out(`Service partenaire désactivé : ${partner.name} (${partner.clientId}).`);
    return 0;
  },
};

const rotateSecret: OperatorCommand = {
  options: OPTIONS,
  async run({ app, io, positionals, actor }) {
    const clientId = positionals[0] ?? '';
    const secret = await app.get(TransactionRunner).run((m) => app.get(PartnersService).rotateSecret(m, clientId, actor));
    io.out(`Nouveau secret de ${clientId} (affiché une seule fois) :\n  client_secret : ${secret}`);
    return 0;
  },
};

export const PARTNER_COMMANDS: Record<string, OperatorCommand> = {
  'partner:add': add,
  'partner:list': list,
  'partner:disable': disable,
  'partner:rotate-secret': rotateSecret,
};
