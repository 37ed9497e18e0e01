import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AidantSignOutHooks } from '../aidants/aidant-sign-out.hooks.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { JournalService } from '../journal/journal.service.js';
import type { JournalActor } from '../journal/journal.types.js';
import { providerGrants, type EndedSignIn } from './provider-grants.repository.js';
import { journalFieldsOfUse, providerUses } from './provider-uses.repository.js';
import { LIFETIMES } from './provider.configuration.js';

/** No grant, code or token of a sign-in outlives this (seconds): older sign-ins have nothing left to end. */
const LONGEST_SIGN_IN = Math.max(LIFETIMES.Grant, LIFETIMES.AccessToken, LIFETIMES.AuthorizationCode) + 60;

/**
 * What ends partner sign-ins besides expiry, autorisation revocation and
 * token revocation (docs/decisions/0603): the partner's own logout ends the
 * sign-in it names; the aidant's sign-out of Procuration ends every sign-in
 * they made at any partner, in the sign-out's transaction.
 */
@Injectable()
export class ProviderLogouts implements OnModuleInit {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly signOutHooks: AidantSignOutHooks,
    private readonly journal: JournalService,
  ) {}

  onModuleInit(): void {
    this.signOutHooks.register((m, aidantId) => this.aidantSignedOut(m, aidantId));
  }

  /** RP-initiated logout confirmed: the sign-in named by the partner's ID token (its `sid`). */
  async partnerLoggedOut(clientId: string, sid: string): Promise<void> {
    await this.transactions.run(async (m) => this.journalEnded(m, await providerGrants.endSignIn(m, clientId, sid), 'partner_logout'));
  }

  /** A grant whose tokens were issued in an answer the partner never gets (refused client authentication). */
  async endGrant(grantId: string): Promise<void> {
    await this.transactions.run(async (m) => this.journalEnded(m, await providerGrants.end(m, [grantId]), 'client_auth_refused'));
  }

  private async aidantSignedOut(m: EntityManager, aidantId: string): Promise<void> {
    const ended = await providerGrants.endForAidant(m, aidantId, LONGEST_SIGN_IN);
    await this.journalEnded(m, ended, 'aidant_signed_out', { type: 'aidant', id: aidantId });
  }

  /** One `partner.sign_in_ended` per sign-in, in the chain of the structure it acted for (the usager sees it). */
  private async journalEnded(m: EntityManager, ended: EndedSignIn[], reason: 'partner_logout' | 'aidant_signed_out' | 'client_auth_refused', actor?: JournalActor) {
    for (const { useId, clientId } of ended) {
      const use = await providerUses.findById(m, useId);
      if (!use) continue;
      await this.journal.append(m, {
        action: 'partner.sign_in_ended',
        ...journalFieldsOfUse(use),
        ...(actor ? { actor } : {}),
        details: { clientId, useId, reason },
      });
    }
  }
}
