import { Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InteractionResults } from 'oidc-provider';
import { DataSource, type EntityManager } from 'typeorm';
import type { AidantActor } from '../aidants/aidant-actor.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { demarcheLabel, isDemarcheId } from '../demarches/demarches.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import type { LiveAutorisation } from '../mandates/mandates.types.js';
import { PartnersService } from '../partners/partners.service.js';
import type { PartnerView } from '../partners/partners.types.js';
import type { UsagerView } from '../usagers/usagers.types.js';
import { claimsReleasableWith, grantableScopes, releasedIdentityClaims, requestedClaimNames, requestedRepScope } from './provider.claims.js';
import { withProviderTransaction } from './provider.adapter.js';
import { ProviderRequestMemo } from './provider-request-memo.js';
import { ProviderDirectory } from './provider.directory.js';
import { ChoiceNotAllowedError, InteractionExpiredError } from './provider.errors.js';
import { ProviderService } from './provider.service.js';
import { providerUses } from './provider-uses.repository.js';

type Interaction = Awaited<ReturnType<Awaited<ReturnType<ProviderService['provider']>>['interactionDetails']>>;

/**
 * The request of an interaction page as oidc-provider reads it: the library
 * finds the interaction through its cookie, so it takes Node's own request
 * and response (its contract, not an HTTP layer of ours), with the path
 * served and the interaction id of the route.
 */
export interface InteractionRequest {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  uid: string;
}

export interface InteractionContext {
  uid: string;
  /** oidc-provider's interaction as read for this request (saved again with the result). */
  interaction: Interaction;
  partner: PartnerView;
  scope: string;
  claims: unknown;
  /** Démarches the partner asked for through `rep_scope` (all must be covered), or null. */
  repScope: string[] | null;
  /** The usager's identity claims this sign-in releases (within the partner's registered scopes). */
  released: string[];
}

export interface Candidate {
  usager: UsagerView;
  autorisations: LiveAutorisation[];
}

/**
 * The interaction's use cases: which usagers the signed-in aidant may act
 * for at this partner, and the confirmed choice (the grant, the use and its
 * journal entry in one transaction), or the refusal sent back to the partner.
 */
@Injectable()
export class ProviderInteractionsService {
  constructor(
    private readonly providers: ProviderService,
    private readonly partners: PartnersService,
    private readonly directory: ProviderDirectory,
    private readonly transactions: TransactionRunner,
    private readonly journal: JournalService,
    private readonly dataSource: DataSource,
  ) {}

  async context(http: InteractionRequest): Promise<InteractionContext> {
    const provider = await this.providers.provider();
    let details: Interaction;
    try {
      details = await ProviderRequestMemo.run(http.path, () => provider.interactionDetails(http.req, http.res));
    } catch (error) {
      throw new InteractionExpiredError(error);
    }
    if (details.uid !== http.uid) throw new InteractionExpiredError();
    // One read, no use case: outside a transaction (every interaction page asks it).
    const partner = await this.partners.findByClientId(this.dataSource.manager, String(details.params.client_id));
    if (!partner?.active) throw new InteractionExpiredError();
    return {
      uid: details.uid,
      interaction: details,
      partner,
      scope: String(details.params.scope ?? 'openid'),
      claims: details.params.claims,
      repScope: requestedRepScope(details.params.claims),
      released: releasedIdentityClaims(String(details.params.scope ?? 'openid'), details.params.claims, partner.scopes),
    };
  }

  /** Usagers with a live autorisation of the current structure for a démarche this partner serves (and every rep_scope value). */
  async candidates(actor: AidantActor, ctx: InteractionContext, m?: EntityManager): Promise<Candidate[]> {
    if (!actor.canOpenMandates) return [];
    const work = async (manager: EntityManager) => {
      const live = await this.directory.findLiveAutorisations(manager, {
        structureId: actor.structureId,
        demarches: [...ctx.partner.demarches],
      });
      const byUsager = new Map<string, LiveAutorisation[]>();
      for (const a of live) byUsager.set(a.usagerId, [...(byUsager.get(a.usagerId) ?? []), a]);
      const qualifying = [...byUsager.entries()].filter(([, list]) =>
        (ctx.repScope ?? []).every((d) => list.some((a) => a.demarche === d)),
      );
      const usagers = await this.directory.findUsagers(manager, qualifying.map(([id]) => id));
      return usagers
        .map((usager) => ({ usager, autorisations: byUsager.get(usager.id)! }))
        .sort((a, b) => a.usager.familyName.localeCompare(b.usager.familyName, 'fr'));
    };
    // Read-only: inside the caller's transaction when there is one, else two plain reads.
    return work(m ?? this.dataSource.manager);
  }

  /** The démarches offered for one usager (those of the candidate list), or a refusal. */
  async candidate(actor: AidantActor, ctx: InteractionContext, usagerId: unknown, m?: EntityManager): Promise<Candidate> {
    const found = (await this.candidates(actor, ctx, m)).find((c) => c.usager.id === usagerId);
    if (!found) {
      throw new ChoiceNotAllowedError(
        'no_live_mandate',
        'Cet usager n’a pas de mandat en cours dans votre structure pour une démarche de ce service. Choisissez un autre usager.',
      );
    }
    return found;
  }

  /**
   * The aidant confirms: the autorisation is re-checked, the use recorded,
   * the grant saved and `autorisation.used` journaled in one transaction;
   * returns the provider's resume URL (same origin).
   */
  async confirm(
    http: InteractionRequest,
    actor: AidantActor,
    choice: { usagerId: unknown; demarche: unknown },
    request: RequestFacts,
  ): Promise<string> {
    const { usagerId, demarche } = choice;
    const ctx = await this.context(http);
    const provider = await this.providers.provider();
    const grantId = await this.transactions.run(async (m) => {
      if (!isDemarcheId(demarche) || !ctx.partner.demarches.includes(demarche)) {
        throw new ChoiceNotAllowedError('demarche_not_served', 'Ce service partenaire ne traite pas cette démarche.');
      }
      const chosen = await this.candidate(actor, ctx, usagerId, m);
      const autorisation = chosen.autorisations.find((a) => a.demarche === demarche);
      if (!autorisation) {
        throw new ChoiceNotAllowedError(
          'no_live_mandate',
          `Le mandat de cet usager ne couvre pas (ou plus) la démarche « ${demarcheLabel(demarche)} ».`,
        );
      }
      const use = await providerUses.insert(m, {
        partnerId: ctx.partner.id,
        aidantId: actor.aidantId,
        structureId: actor.structureId,
        usagerId: chosen.usager.id,
        mandateId: autorisation.mandateId,
        demarche,
        repScope: ctx.repScope ?? [],
      });
      const grant = new provider.Grant({ accountId: use.id, clientId: ctx.partner.clientId });
      // Never beyond the partner's registered scopes, whatever the request asks (a `claims` parameter included).
      grant.addOIDCScope(grantableScopes(ctx.scope, ctx.partner.scopes).join(' '));
      const releasable = claimsReleasableWith(ctx.partner.scopes);
      const claims = requestedClaimNames(ctx.claims).filter((c) => releasable.has(c));
      if (claims.length > 0) grant.addOIDCClaims(claims);
      const saved = await withProviderTransaction(m, () => grant.save());
      await this.journal.append(m, {
        action: 'autorisation.used',
        structureId: actor.structureId,
        actor: { type: 'aidant', id: actor.aidantId },
        subjects: { usagerId: chosen.usager.id, mandateId: autorisation.mandateId, aidantId: actor.aidantId, partnerId: ctx.partner.id },
        demarche,
        request,
        details: { clientId: ctx.partner.clientId, useId: use.id, repScope: ctx.repScope ?? [] },
      });
      return { saved, useId: use.id };
    });
    return this.finishSignIn(ctx.interaction, {
      login: { accountId: grantId.useId, acr: 'eidas1', amr: ['pwd', 'otp'], remember: false },
      consent: { grantId: grantId.saved },
    });
  }

  /**
   * Stores the interaction's result (a sign-in or a refusal) and returns the resume URL. Every
   * sign-in is a new account for oidc-provider (a new choice of usager and
   * démarche) and gets a provider session of its own: the interaction is
   * detached from the browser's earlier one, which the resume route drops
   * (freshSessionOnResume) without touching the grants and tokens it saw
   * issued (docs/decisions/0603).
   */
  private async finishSignIn(interaction: Interaction, result: InteractionResults): Promise<string> {
    (interaction as { session?: unknown }).session = undefined;
    interaction.result = result;
    await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
    return interaction.returnTo;
  }

  /** Back to the partner with `access_denied` (journaled when a signed-in aidant gives up or nobody qualifies). */
  async refuse(
    http: InteractionRequest,
    actor: AidantActor | undefined,
    reason: 'no_live_mandate' | 'aidant_cancelled',
    request: RequestFacts,
  ): Promise<string> {
    const ctx = await this.context(http);
    if (actor) {
      await this.transactions.run((m) =>
        this.journal.append(m, {
          action: 'partner.access_refused',
          structureId: actor.structureId,
          actor: { type: 'aidant', id: actor.aidantId },
          subjects: { aidantId: actor.aidantId, partnerId: ctx.partner.id },
          request,
          details: { clientId: ctx.partner.clientId, reason },
        }),
      );
    }
    return this.finishSignIn(ctx.interaction, {
      error: 'access_denied',
      error_description: reason === 'no_live_mandate' ? 'no usager with a live mandate for this service' : 'the aidant cancelled',
    });
  }
}
