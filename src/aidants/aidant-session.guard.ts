import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { Clock } from '../clock/clock.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { JournalService } from '../journal/journal.service.js';
import { requestFactsOf } from '../journal/request-facts.js';
import { ABSOLUTE_TIMEOUT_MS, IDLE_TIMEOUT_MS, TOTP_FRESHNESS_MS, type AidantSession, type SessionEndReason } from '../sessions/session-data.js';
import { destroySession } from '../sessions/sessions.js';
import { ForbiddenError } from '../shared/domain-error.js';
import { AccessSuspendedError, NotSignedInError } from './aidants.errors.js';
import { AidantsService } from './aidants.service.js';
import { TotpReauthRequiredError } from './totp-reauth.errors.js';

const WITHOUT_STRUCTURE = 'procuration:without-structure';
/** The route works before an aidant of several structures has chosen one (the chooser itself). */
export const AllowWithoutStructure = () => SetMetadata(WITHOUT_STRUCTURE, true);

/** How stale `lastSeenAt` may get before the guard writes it back (the idle timeout only gets stricter). */
const LAST_SEEN_GRANULARITY_MS = 60_000;

type Ending = 'idle_timeout' | 'absolute_timeout' | 'access_withdrawn';

/**
 * Every aidant route: a live session (idle 30 min, absolute 12 h), and the
 * account, membership and structure re-read on each request, so that a
 * suspension or revocation takes effect on the very next request.
 */
@Injectable()
export class SignedInAidantGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly transactions: TransactionRunner,
    private readonly aidants: AidantsService,
    private readonly journal: JournalService,
    private readonly clock: Clock,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const auth = req.session?.aidant;
    if (!auth) {
      if (req.endedSessionReason) throw endedElsewhere(req.endedSessionReason);
      throw new NotSignedInError('Connectez-vous pour accéder à cette page.', 'no aidant session');
    }
    const now = this.clock.nowMs();
    if (now - auth.signedInAt > ABSOLUTE_TIMEOUT_MS) return this.end(req, auth, 'absolute_timeout');
    if (now - auth.lastSeenAt > IDLE_TIMEOUT_MS) return this.end(req, auth, 'idle_timeout');

    const allowed = await this.access(auth);
    if (!allowed) return this.end(req, auth, 'access_withdrawn');
    if (auth.structureId !== null && !allowed.current) return this.end(req, auth, 'access_withdrawn');

    // Written back (a session row UPDATE) at most once a minute: the idle timeout then counts from
    // up to a minute before the last request, never after it.
    // The address shown on the sessions page is refreshed at the same pace.
    if (now - auth.lastSeenAt >= LAST_SEEN_GRANULARITY_MS) {
      auth.lastSeenAt = now;
      auth.ip = req.ip ?? null;
    }
    if (!allowed.current) {
      const without = this.reflector.getAllAndOverride<boolean>(WITHOUT_STRUCTURE, [context.getHandler(), context.getClass()]);
      if (!without) {
        throw new ForbiddenError(
          'Choisissez d’abord la structure dans laquelle vous agissez : /aidant/structure.',
          'no current structure chosen',
        );
      }
      return true;
    }
    const roles = allowed.current.roles;
    context.switchToHttp().getResponse<Response>().locals.signedIn = {
      name: `${allowed.aidant.givenName} ${allowed.aidant.familyName}`,
      structure: allowed.current.structure.name,
    };
    req.aidantActor = {
      aidantId: allowed.aidant.id,
      structureId: allowed.current.structure.id,
      structureName: allowed.current.structure.name,
      roles,
      canOpenMandates: roles.includes('aidant'),
      isReferent: roles.includes('referent'),
      givenName: allowed.aidant.givenName,
      familyName: allowed.aidant.familyName,
      totpAt: auth.totpAt,
      usableStructures: allowed.usable,
    };
    return true;
  }

  /**
   * The account, its usable memberships and the current one, read now (2 statements). Reads only:
   * outside a transaction, which at READ COMMITTED would give them no common snapshot anyway.
   */
  private async access(auth: AidantSession) {
    const access = await this.transactions.read((m) => this.aidants.accessOf(m, auth.aidantId));
    if (!access || access.aidant.habilitationStatus !== 'habilitated') return null;
    const memberships = access.memberships.filter((ms) => ms.structure.active && !ms.suspended);
    if (memberships.length === 0) return null;
    return { aidant: access.aidant, current: memberships.find((ms) => ms.structure.id === auth.structureId) ?? null, usable: memberships.length };
  }

  private async end(req: Request, auth: AidantSession, reason: Ending): Promise<never> {
    await this.transactions.run(async (m) => {
      const chains = auth.structureId ? [auth.structureId] : await this.aidants.chainsOf(m, auth.aidantId);
      for (const structureId of chains) {
        await this.journal.append(m, {
          action: 'aidant.signed_out',
          structureId,
          actor: { type: 'system', id: null },
          subjects: { aidantId: auth.aidantId },
          request: requestFactsOf(req),
          details: { reason },
        });
      }
    });
    await destroySession(req);
    if (reason === 'access_withdrawn') {
      throw new AccessSuspendedError(
        'Votre accès a été suspendu ou retiré : vous avez été déconnecté. Contactez votre référent.',
        'session ended: access withdrawn',
      );
    }
    throw new NotSignedInError(
      reason === 'idle_timeout'
        ? 'Votre session a expiré après 30 minutes d’inactivité : reconnectez-vous.'
        : 'Votre session a atteint sa durée maximale de 12 heures : reconnectez-vous.',
      `session ended: ${reason}`,
    );
  }
}

/** What the person is told on the first request of a session ended from elsewhere (journaled where it was ended). */
function endedElsewhere(reason: SessionEndReason): AccessSuspendedError | NotSignedInError {
  const log = `session ended elsewhere: ${reason}`;
  switch (reason) {
    case 'suspended':
    case 'habilitation_changed':
      return new AccessSuspendedError('Votre accès a été suspendu ou retiré : vous avez été déconnecté. Contactez votre référent.', log);
    case 'password_reset':
      return new NotSignedInError(
        'Votre mot de passe a été réinitialisé : vous avez été déconnecté. Choisissez un nouveau mot de passe avec le lien reçu par courriel.',
        log,
      );
    case 'password_changed':
      return new NotSignedInError('Votre mot de passe a été changé depuis une autre session : reconnectez-vous avec le nouveau mot de passe.', log);
    case 'aidant':
      return new NotSignedInError('Cette session a été terminée depuis une autre de vos sessions : reconnectez-vous.', log);
  }
}

/**
 * Mandate pages (opening and using mandates): holders of the `aidant` role in
 * the current structure only; a référent who is not an aidant may not
 * (behind SignedInAidantGuard).
 */
@Injectable()
export class ActingAidantGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const actor = context.switchToHttp().getRequest<Request>().aidantActor;
    if (!actor?.canOpenMandates) {
      throw new ForbiddenError(
        'Seuls les aidants de la structure peuvent ouvrir et utiliser des mandats : vous y êtes référent sans être aidant.',
        'not an aidant of the structure',
      );
    }
    return true;
  }
}

/** Référent pages: the current structure's référents only (behind SignedInAidantGuard). */
@Injectable()
export class ReferentGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const actor = context.switchToHttp().getRequest<Request>().aidantActor;
    if (!actor?.isReferent) {
      throw new ForbiddenError('Cette page est réservée aux référents de la structure.', 'not a referent');
    }
    return true;
  }
}

/**
 * Sensitive actions (confirming or revoking a mandate): the last TOTP code
 * must be less than 15 minutes old, otherwise the person is sent to
 * `/aidant/reauthentification` (behind SignedInAidantGuard).
 */
@Injectable()
export class RecentTotpGuard implements CanActivate {
  constructor(private readonly clock: Clock) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const actor = req.aidantActor;
    if (!actor || this.clock.nowMs() - actor.totpAt > TOTP_FRESHNESS_MS) {
      throw new TotpReauthRequiredError(req.method === 'GET' ? req.originalUrl : '/aidant');
    }
    return true;
  }
}
