import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AidantsService } from '../aidants/aidants.service.js';
import { invitationLink, InvitationsService } from '../aidants/invitations.service.js';
import { membershipInvitationLink } from '../aidants/membership-invitations.service.js';
import { ROLES, type HabilitationStatus, type Role } from '../aidants/roles.js';
import { TotpDevicesService } from '../aidants/totp-devices.service.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { DELIVERY_NOTE, MailService } from '../mail/mail.service.js';
import { DomainError, NotFoundError, ValidationError } from '../shared/domain-error.js';
import { reportRefusal } from './refusal.js';
import type { Actor } from '../structures/actor.js';
import { PARTNER_COMMANDS, PARTNER_USAGE, runPartnerCommand } from './partner-commands.js';
import { StructuresService } from '../structures/structures.service.js';

export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
  /** Base URL for invitation links. */
  publicUrl: string;
  /** Who runs the command (journaled as the actor); default: the system user name. */
  operator?: string;
}

export const USAGE = `Commandes opérateur (npm run cli -- <commande> [options]) :
  structure:create --name <nom> --siret <14 chiffres> --type <mairie|france_services|ccas|mediatheque|association|autre>
                   --address <adresse> [--demarches papiers,logement,…]
  structure:deactivate <siret> / structure:activate <siret>  ferme ou rouvre une structure
  aidant:add       --structure <siret> --email <adresse> --given-name <prénom> --family-name <nom>
                   [--profession <métier>] [--phone <téléphone>] [--roles aidant,referent]
  aidant:habilitate <email>     habilite un aidant
  aidant:suspend <email>        suspend l’habilitation
  aidant:revoke <email>         retire définitivement l’habilitation
  aidant:reset-password <email> efface le mot de passe et affiche un nouveau lien d’invitation (72 h)
  cards:import <fichier.csv>    enregistre des cartes TOTP (colonnes : serial,seed,step ; seed en base32, step 30 ou 60)
  card:resync <numéro> <code1> <code2>  re-synchronise une carte à partir de deux codes successifs
  card:revoke <numéro>          désactive une carte perdue ou cassée
Option commune : --operator <nom> (par défaut : l’utilisateur système), journalisé comme auteur.`;

const HABILITATION: Record<string, HabilitationStatus> = {
  'aidant:habilitate': 'habilitated',
  'aidant:suspend': 'suspended',
  'aidant:revoke': 'revoked',
};

/** Runs one operator command against a running application context; returns the exit code. */
export async function runOperatorCommand(app: INestApplicationContext, argv: string[], io: CommandIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command && PARTNER_COMMANDS.includes(command)) return runPartnerCommand(app, command, rest, io);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(rest);
  } catch (error) {
    io.err(`Option invalide : ${(error as Error).message}`);
    return 2;
  }
  const actor: Actor = { type: 'operator', id: parsed.values.operator ?? io.operator ?? userInfo().username };
  const run = <T>(fn: (m: EntityManager) => Promise<T>) => app.get(TransactionRunner).run(fn);
  try {
    switch (command) {
      case 'structure:create': {
        const v = parsed.values;
        const s = await run((m) =>
          app.get(StructuresService).create(
            m,
            {
              name: v.name ?? '',
              siret: v.siret ?? '',
              type: v.type ?? '',
              address: v.address ?? '',
              allowedDemarches: v.demarches ? v.demarches.split(',').map((d) => d.trim()) : undefined,
            },
            actor,
          ),
        );
        io.out(`Structure créée : ${s.name} (SIRET ${s.siret}, id ${s.id}).`);
        return 0;
      }
      case 'structure:activate':
      case 'structure:deactivate': {
        const s = await run(async (m) => {
          const found = await app.get(StructuresService).findBySiret(m, parsed.positionals[0] ?? '');
          if (!found) throw new NotFoundError('Aucune structure n’a ce SIRET.', 'unknown structure siret');
          return app.get(StructuresService).setActive(m, found.id, command === 'structure:activate', actor);
        });
        io.out(`${s.name} : ${s.active ? 'ouverte' : 'fermée'}.`);
        return 0;
      }
      case 'aidant:add': {
        const v = parsed.values;
        const roles = (v.roles ?? 'aidant').split(',').map((r) => r.trim());
        if (!roles.every((r) => (ROLES as readonly string[]).includes(r))) {
          throw new ValidationError({ roles: 'Les rôles possibles sont aidant et referent.' });
        }
        const result = await run(async (m) => {
          const structure = await app.get(StructuresService).findBySiret(m, v.structure ?? '');
          if (!structure) throw new NotFoundError('Aucune structure n’a ce SIRET.', 'unknown structure siret');
          return app.get(InvitationsService).inviteToStructure(
            m,
            structure.id,
            {
              email: v.email ?? '',
              givenName: v['given-name'] ?? '',
              familyName: v['family-name'] ?? '',
              profession: v.profession,
              phone: v.phone,
            },
            roles as Role[],
            actor,
          );
        });
        if (result.membershipInvitation) {
          // An existing account joins only once its owner accepts: the link goes to them alone.
          const { aidant, membershipInvitation: offer, structureName } = result;
          const link = membershipInvitationLink(io.publicUrl, offer.token);
          const delivery = await app.get(MailService).membershipInvitation(aidant.email, aidant.givenName, structureName, link, offer.expiresAt);
          io.out(`${aidant.email} a déjà un compte : invitation à rejoindre la structure envoyée${DELIVERY_NOTE[delivery]}, en attente de son acceptation.`);
          return 0;
        }
        io.out(`Aidant ajouté : ${result.aidant.email} (${roles.join(', ')}).`);
        if (result.invitation) {
          const { aidant, invitation } = result;
          const link = invitationLink(io.publicUrl, invitation.token);
          const delivery = await app.get(MailService).invitation(aidant.email, aidant.givenName, link, invitation.expiresAt);
          io.out(`Lien d’invitation${DELIVERY_NOTE[delivery]}, valable jusqu’au ${invitation.expiresAt.toISOString()} :`);
          io.out(link);
        }
        return 0;
      }
      case 'aidant:habilitate':
      case 'aidant:suspend':
      case 'aidant:revoke': {
        const email = parsed.positionals[0] ?? '';
        const aidant = await run(async (m) => {
          const found = await app.get(AidantsService).findByEmail(m, email);
          if (!found) throw new NotFoundError('Aucun aidant n’a cette adresse électronique.', 'unknown aidant email');
          return app.get(AidantsService).changeHabilitation(m, found.id, HABILITATION[command]!, actor);
        });
        io.out(`${aidant.email} : habilitation « ${aidant.habilitationStatus} ».`);
        return 0;
      }
      case 'aidant:reset-password': {
        const { aidant, invitation } = await run((m) =>
          app.get(InvitationsService).resetPassword(m, parsed.positionals[0] ?? '', actor),
        );
        const link = invitationLink(io.publicUrl, invitation.token);
        const delivery = await app.get(MailService).invitation(aidant.email, aidant.givenName, link, invitation.expiresAt, true);
        io.out(`Mot de passe de ${aidant.email} effacé. Nouveau lien${DELIVERY_NOTE[delivery]}, valable jusqu’au ${invitation.expiresAt.toISOString()} :`);
        io.out(link);
        return 0;
      }
      case 'cards:import': {
        const cards = readCards(parsed.positionals[0]);
        await run(async (m) => {
          for (const card of cards) {
            try {
              await app.get(TotpDevicesService).registerCard(m, card, actor);
            } catch (error) {
              if (!(error instanceof DomainError)) throw error;
              const detail = error instanceof ValidationError ? Object.values(error.fields).join(' ') : error.userMessage;
              throw new ValidationError({ [`ligne ${card.line}`]: detail }, `card file line ${card.line} refused`);
            }
          }
        });
        io.out(`${cards.length} carte(s) enregistrée(s).`);
        return 0;
      }
      case 'card:resync': {
        const [serial = '', first = '', second = ''] = parsed.positionals;
        await run((m) => app.get(TotpDevicesService).resynchroniseCard(m, serial, first, second, actor));
        io.out(`Carte ${serial} re-synchronisée.`);
        return 0;
      }
      case 'card:revoke': {
        const serial = parsed.positionals[0] ?? '';
        await run((m) => app.get(TotpDevicesService).revokeCard(m, serial, actor));
        io.out(`Carte ${serial} désactivée.`);
        return 0;
      }
      case undefined:
      case 'help':
        io.out(`${USAGE}\n\n${PARTNER_USAGE}`);
        return command ? 0 : 2;
      default:
        io.err(`Commande inconnue : ${command}\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    return reportRefusal(error, (line) => io.err(line));
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      siret: { type: 'string' },
      type: { type: 'string' },
      address: { type: 'string' },
      demarches: { type: 'string' },
      structure: { type: 'string' },
      email: { type: 'string' },
      'given-name': { type: 'string' },
      'family-name': { type: 'string' },
      profession: { type: 'string' },
      phone: { type: 'string' },
      roles: { type: 'string' },
      operator: { type: 'string' },
    },
  });
}

/** `serial,seed,step` lines; a header line and blank lines are skipped. */
export function readCards(path: string | undefined): { serial: string; seed: string; step: number; line: number }[] {
  if (!path) throw new ValidationError({ file: 'Indiquez le fichier CSV des cartes.' });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ValidationError({ file: `Impossible de lire le fichier ${path}.` });
  }
  const cards: { serial: string; seed: string; step: number; line: number }[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || /^serial\s*[,;]/i.test(line)) return;
    const [serial = '', seed = '', step = ''] = line.split(/[,;]/).map((c) => c.trim());
    cards.push({ serial, seed, step: Number(step), line: index + 1 });
  });
  if (cards.length === 0) throw new ValidationError({ file: 'Le fichier ne contient aucune carte.' });
  return cards;
}
