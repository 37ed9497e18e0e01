import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner.js';
import { JournalService } from '../journal/journal.service.js';
import { KEY_ALGS, KeysService } from '../keys/keys.service.js';
import { isAuthMethod } from '../partners/partner-input.js';
import { PartnersService } from '../partners/partners.service.js';
import type { PartnerSigningAlg, PartnerView } from '../partners/partners.types.js';
import { ValidationError } from '../shared/domain-error.js';
import { reportRefusal } from './refusal.js';
/** Output of a command (the operator CLI's). */
export interface PartnerCommandIo {
  out(line: string): void;
  err(line: string): void;
  operator?: string;
}

export const PARTNER_USAGE = `Services partenaires (fournisseur d’identité « Se connecter avec Procuration ») :
  partner:add      --name <nom> --redirect-uri <url> [--redirect-uri <url>…] --demarches logement,social
                   --scopes openid,given_name,family_name   (portées que le service peut recevoir, dont openid)
                   [--post-logout-uri <url>…] [--client-id <id>] [--auth client_secret_basic|client_secret_post|private_key_jwt]
                   [--jwks <fichier JWKS public>] [--id-token-alg ES256|RS256] [--userinfo-alg ES256|RS256]
                   affiche l’identifiant client et, une seule fois, le secret
  partner:list                      liste les services partenaires
  partner:disable <client_id>       désactive un service (ses connexions sont refusées aussitôt)
  partner:rotate-secret <client_id> remplace le secret (affiché une seule fois ; l’ancien cesse de fonctionner)
  provider:rotate-keys              nouvelles clés de signature du fournisseur (ES256 et RS256) ; les anciennes
                                    restent publiées une heure, le temps que leurs jetons expirent`;

export const PARTNER_COMMANDS = ['partner:add', 'partner:list', 'partner:disable', 'partner:rotate-secret', 'provider:rotate-keys'];

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
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
      operator: { type: 'string' },
    },
  });
}

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

/** The partner and provider-key commands of the operator CLI; returns the exit code. */
export async function runPartnerCommand(app: INestApplicationContext, command: string, argv: string[], io: PartnerCommandIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`Option invalide : ${(error as Error).message}`);
    return 2;
  }
  const v = parsed.values;
  const actor = { type: 'operator' as const, id: v.operator ?? io.operator ?? userInfo().username };
  const run = app.get(TransactionRunner).run.bind(app.get(TransactionRunner));
  const partners = app.get(PartnersService);
  try {
    switch (command) {
      case 'partner:add': {
        const auth = v.auth ?? 'client_secret_basic';
        if (!isAuthMethod(auth)) throw new ValidationError({ auth: 'client_secret_basic, client_secret_post ou private_key_jwt.' });
        const { partner, secret } = await run((m) =>
          partners.register(
            m,
            {
              name: v.name ?? '',
              clientId: v['client-id'],
              authMethod: auth,
              jwks: readJwks(v.jwks),
              redirectUris: v['redirect-uri'] ?? [],
              postLogoutRedirectUris: v['post-logout-uri'] ?? [],
              demarches: (v.demarches ?? '').split(',').map((d) => d.trim()).filter(Boolean),
              scopes: (v.scopes ?? '').split(',').map((s) => s.trim()).filter(Boolean),
              idTokenAlg: alg(v['id-token-alg'], 'id-token-alg'),
              userinfoAlg: alg(v['userinfo-alg'], 'userinfo-alg') ?? null,
            },
            actor,
          ),
        );
        io.out(`Service partenaire enregistré : ${partner.name}`);
        io.out(`  client_id     : ${partner.clientId}`);
        if (secret) io.out(`  client_secret : ${secret}\n  (affiché une seule fois : transmettez-le au partenaire par un canal sûr)`);
        return 0;
      }
      case 'partner:list': {
        const list = await run((m) => partners.list(m));
        if (list.length === 0) io.out('Aucun service partenaire.');
        for (const p of list) io.out(describe(p));
        return 0;
      }
      case 'partner:disable': {
        const partner = await run((m) => partners.disable(m, parsed.positionals[0] ?? '', actor));
        io.out(`Service partenaire désactivé : ${partner.name} (${partner.clientId}).`);
        return 0;
      }
      case 'partner:rotate-secret': {
        const clientId = parsed.positionals[0] ?? '';
        const secret = await run((m) => partners.rotateSecret(m, clientId, actor));
        io.out(`Nouveau secret de ${clientId} (affiché une seule fois) :\n  client_secret : ${secret}`);
        return 0;
      }
      case 'provider:rotate-keys': {
        const rotated = await run(async (m) => {
          const results = [];
          for (const keyAlg of KEY_ALGS.provider) {
            const result = await app.get(KeysService).rotate('provider', m, keyAlg);
            await app.get(JournalService).append(m, {
              action: 'keys.rotated',
              structureId: null,
              actor,
              details: { purpose: 'provider', kid: result.kid, retiredKid: result.retiredKid },
            });
            results.push({ alg: keyAlg, ...result });
          }
          return results;
        });
        for (const r of rotated) io.out(`Clé ${r.alg} du fournisseur : ${r.retiredKid ?? 'aucune'} -> ${r.kid}`);
        return 0;
      }
      default:
        io.err(`Commande inconnue : ${command}\n\n${PARTNER_USAGE}`);
        return 2;
    }
  } catch (error) {
    return reportRefusal(error, (line) => io.err(line));
  }
}
