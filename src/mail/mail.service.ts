import { Injectable, Logger } from '@nestjs/common';
import { Mailer, type OutgoingMail } from './mailer.js';

/** `sent` by SMTP, `kept` in the outbox (no SMTP server), or `failed` (logged). */
export type Delivery = 'sent' | 'kept' | 'failed';

export const DELIVERY_NOTE: Record<Delivery, string> = {
  sent: ' (envoyé par courriel)',
  kept: ' (conservé dans la boîte d’envoi : aucun serveur SMTP configuré)',
  failed: ' (le courriel n’a pas pu être envoyé)',
};

function frenchDateTime(at: Date): string {
  return new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' }).format(at);
}

/**
 * The mails Procuration sends. Sending never fails the use case (it ran and
 * committed already): a failure
 * is logged without the address. Links arrive built by the module that owns
 * their route (aidants), so mail depends on no domain module.
 */
@Injectable()
export class MailService {
  private readonly logger = new Logger('Mail');

  constructor(private readonly mailer: Mailer) {}

  async invitation(to: string, givenName: string, link: string, expiresAt: Date, reset = false): Promise<Delivery> {
    return this.deliver({
      to,
      subject: reset ? 'Procuration : réinitialisation de votre mot de passe' : 'Procuration : activez votre compte aidant',
      text: [
        `Bonjour ${givenName},`,
        '',
        reset
          ? 'Votre mot de passe Procuration a été réinitialisé. Choisissez-en un nouveau et associez votre application d’authentification en suivant ce lien :'
          : 'Vous êtes invité à rejoindre Procuration. Choisissez votre mot de passe et associez votre application d’authentification en suivant ce lien :',
        '',
        link,
        '',
        `Ce lien ne sert qu’une fois et expire le ${frenchDateTime(expiresAt)} (heure de Paris).`,
        'Si vous n’êtes pas concerné, ignorez ce message.',
      ].join('\n'),
    });
  }

  /** An existing account is offered a place in a structure: its owner answers while signed in. */
  async membershipInvitation(to: string, givenName: string, structureName: string, link: string, expiresAt: Date): Promise<Delivery> {
    return this.deliver({
      to,
      subject: 'Procuration : invitation à rejoindre une structure',
      text: [
        `Bonjour ${givenName},`,
        '',
        `La structure « ${structureName} » vous invite à la rejoindre sur Procuration. Rien ne change sur votre compte tant que vous n’avez pas accepté.`,
        'Connectez-vous avec vos identifiants habituels, puis acceptez ou refusez en suivant ce lien :',
        '',
        link,
        '',
        `Ce lien ne sert qu’une fois et expire le ${frenchDateTime(expiresAt)} (heure de Paris).`,
        'Si vous ne connaissez pas cette structure, refusez l’invitation ou ignorez ce message.',
      ].join('\n'),
    });
  }

  async lockoutNotice(to: string, until: Date): Promise<Delivery> {
    return this.deliver({
      to,
      subject: 'Procuration : connexion temporairement bloquée',
      text: [
        'Bonjour,',
        '',
        `Après 5 tentatives de connexion échouées, la connexion à votre compte Procuration est bloquée jusqu’au ${frenchDateTime(until)} (heure de Paris).`,
        'Si ces tentatives ne viennent pas de vous, prévenez votre référent : quelqu’un essaie peut-être d’utiliser votre compte.',
      ].join('\n'),
    });
  }

  private async deliver(mail: OutgoingMail): Promise<Delivery> {
    try {
      await this.mailer.send(mail);
      return this.mailer.kind === 'smtp' ? 'sent' : 'kept';
    } catch (error) {
      this.logger.error({ err: error, kind: this.mailer.kind, subject: mail.subject }, 'mail not delivered');
      return 'failed';
    }
  }
}
