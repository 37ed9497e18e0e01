import { readFileSync } from 'node:fs';
import { TransactionRunner } from '../database/transaction-runner.js';
import { DELIVERY_NOTE, MailService } from '../mail/mail.service.js';
import { DomainError, NotFoundError, ValidationError } from '../shared/domain-error.js';
import { optionText, type OperatorCommand } from '../shared/operator-command.js';
import { StructuresService } from '../structures/structures.service.js';
import { AidantsService } from './aidants.service.js';
import { invitationLink, InvitationsService } from './invitations.service.js';
import { membershipInvitationLink } from './membership-invitations.service.js';
import { ROLES, type HabilitationStatus, type Role } from './roles.js';
import { TotpDevicesService } from './totp-devices.service.js';

/** The aidant and TOTP card commands of the operator CLI (`npm run cli`). */

export const AIDANT_USAGE = `  aidant:add       --structure <siret> --email <adresse> --given-name <prénom> --family-name <nom>
                   [--profession <métier>] [--phone <téléphone>] [--roles aidant,referent]
  aidant:habilitate <email>     habilite un aidant
  aidant:suspend <email>        suspend l’habilitation
  aidant:revoke <email>         retire définitivement l’habilitation
  aidant:reset-password <email> efface le mot de passe et affiche un nouveau lien d’invitation (72 h)
  cards:import <fichier.csv>    enregistre des cartes TOTP (colonnes : serial,seed,step ; seed en base32, step 30 ou 60)
  card:resync <numéro> <code1> <code2>  re-synchronise une carte à partir de deux codes successifs
  card:revoke <numéro>          désactive une carte perdue ou cassée`;

const OPTIONS = {
  structure: { type: 'string' },
  email: { type: 'string' },
  'given-name': { type: 'string' },
  'family-name': { type: 'string' },
  profession: { type: 'string' },
  phone: { type: 'string' },
  roles: { type: 'string' },
} as const;

const HABILITATION: Record<string, HabilitationStatus> = {
  'aidant:habilitate': 'habilitated',
  'aidant:suspend': 'suspended',
  'aidant:revoke': 'revoked',
};

const add: OperatorCommand = {
  options: OPTIONS,
  async run(c) {
    const v = (name: string) => optionText(c, name);
    const { app, io } = c;
    const roles = (v('roles') ?? 'aidant').split(',').map((r) => r.trim());
    if (!roles.every((r) => (ROLES as readonly string[]).includes(r))) {
      throw new ValidationError({ roles: 'Les rôles possibles sont aidant et referent.' });
    }
    const result = await app.get(TransactionRunner).run(async (m) => {
      const structure = await app.get(StructuresService).findBySiret(m, v('structure') ?? '');
      if (!structure) throw new NotFoundError('Aucune structure n’a ce SIRET.', 'unknown structure siret');
      return app.get(InvitationsService).inviteToStructure(
        m,
        structure.id,
        {
          email: v('email') ?? '',
          givenName: v('given-name') ?? '',
          familyName: v('family-name') ?? '',
          profession: v('profession'),
          phone: v('phone'),
        },
        roles as Role[],
        c.actor,
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
  },
};

const habilitation: OperatorCommand = {
  options: OPTIONS,
  async run(c) {
    const email = c.positionals[0] ?? '';
    const aidants = c.app.get(AidantsService);
    const aidant = await c.app.get(TransactionRunner).run(async (m) => {
      const found = await aidants.findByEmail(m, email);
      if (!found) throw new NotFoundError('Aucun aidant n’a cette adresse électronique.', 'unknown aidant email');
      return aidants.changeHabilitation(m, found.id, HABILITATION[c.name]!, c.actor);
    });
    c.io.out(`${aidant.email} : habilitation « ${aidant.habilitationStatus} ».`);
    return 0;
  },
};

const resetPassword: OperatorCommand = {
  options: OPTIONS,
  async run({ app, io, positionals, actor }) {
    const { aidant, invitation } = await app.get(TransactionRunner).run((m) =>
      app.get(InvitationsService).resetPassword(m, positionals[0] ?? '', actor),
    );
    const link = invitationLink(io.publicUrl, invitation.token);
    const delivery = await app.get(MailService).invitation(aidant.email, aidant.givenName, link, invitation.expiresAt, true);
    io.out(`Mot de passe de ${aidant.email} effacé. Nouveau lien${DELIVERY_NOTE[delivery]}, valable jusqu’au ${invitation.expiresAt.toISOString()} :`);
    io.out(link);
    return 0;
  },
};

const importCards: OperatorCommand = {
  options: OPTIONS,
  async run({ app, io, positionals, actor }) {
    const cards = readCards(positionals[0]);
    await app.get(TransactionRunner).run(async (m) => {
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
  },
};

const resyncCard: OperatorCommand = {
  options: OPTIONS,
  async run({ app, io, positionals, actor }) {
    const [serial = '', first = '', second = ''] = positionals;
    await app.get(TransactionRunner).run((m) => app.get(TotpDevicesService).resynchroniseCard(m, serial, first, second, actor));
    io.out(`Carte ${serial} re-synchronisée.`);
    return 0;
  },
};

const revokeCard: OperatorCommand = {
  options: OPTIONS,
  async run({ app, io, positionals, actor }) {
    const serial = positionals[0] ?? '';
    await app.get(TransactionRunner).run((m) => app.get(TotpDevicesService).revokeCard(m, serial, actor));
    io.out(`Carte ${serial} désactivée.`);
    return 0;
  },
};

export const AIDANT_COMMANDS: Record<string, OperatorCommand> = {
  'aidant:add': add,
  'aidant:habilitate': habilitation,
  'aidant:suspend': habilitation,
  'aidant:revoke': habilitation,
  'aidant:reset-password': resetPassword,
  'cards:import': importCards,
  'card:resync': resyncCard,
  'card:revoke': revokeCard,
};

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
