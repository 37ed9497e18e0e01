import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AidantActor } from '../aidants/aidant-actor.js';
import { AidantsService } from '../aidants/aidants.service.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { demarcheLabel, isDemarcheId } from '../demarches/demarches.js';
import { JournalQueries } from '../journal/reading/journal-queries.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { ValidationError } from '../shared/domain-error.js';
import { UsagersService } from '../usagers/usagers.service.js';
import { displayName, type UsagerIdentity, type UsagerView } from '../usagers/usagers.types.js';
import { frenchCalendarDate, frenchDate, frenchDateTime, identityDisplay } from '../web/french/index.js';
import { AttestationVerificationsService } from './attestation-verifications.service.js';
import { AttestationsService, VERIFICATION_PATH, type AttestationClaims } from './attestations.service.js';
import { MandateConsent } from './mandate-consent.entity.js';
import { MandateRevocationService, readReason, REVOCATION_REASONS, type Revoker } from './mandate-revocation.service.js';
import { STATUS_LABELS } from './mandate-status.js';
import { MandateNotLiveError } from './mandates.errors.js';
import { MandatesService } from './mandates.service.js';
import type { MandateView } from './mandates.types.js';
import { paginationOf } from './pagination.js';

const label = (d: string) => (isDemarcheId(d) ? demarcheLabel(d) : d);

/** Rows of a dashboard list page. */
const PAGE_SIZE = 50;
/** Mandates the dashboard's search shows at most (a narrower search for more). */
const SEARCH_SHOWN = 50;
/** Usagers a name may match before the search asks for the birthdate too. */
const NAMED_CANDIDATES_AT_MOST = 5000;
/** "Ending soon": within this many days; the notice names the first EXPIRING_NAMED. */
const EXPIRING_DAYS = 30;
const EXPIRING_NAMED = 10;

/** A dashboard row: the usager's name and birthdate, live démarches, end (or revocation) date, status. */
const rowOf = (usagers: Map<string, UsagerIdentity>) => (v: MandateView) => {
  const u = usagers.get(v.usagerId);
  return {
    id: v.id,
    usager: u ? displayName(u) : '—',
    birthdate: u ? frenchCalendarDate(u.birthdate) : '',
    demarches: v.liveDemarches.map(label),
    end: frenchDate(v.status === 'revoked' && v.revokedAt ? v.revokedAt : v.expiresAt),
    status: v.status,
    statusLabel: v.statusLabel,
  };
};

/** View models of the aidant's mandate pages, and the page-level use cases (revocation, attestations). */
@Injectable()
export class MandatePagesService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly mandates: MandatesService,
    private readonly revocation: MandateRevocationService,
    private readonly attestations: AttestationsService,
    private readonly verifications: AttestationVerificationsService,
    private readonly usagers: UsagersService,
    private readonly aidants: AidantsService,
    private readonly journal: JournalQueries,
  ) {}

  /**
   * `/aidant`: the structure's live mandates, a page at a time (soonest end
   * first), those ending within 30 days named on top, and the search by name
   * and birthdate, which finds any mandate of the structure, live or ended.
   * Only the rows shown are read; counts come from one index range.
   */
  async dashboard(actor: AidantActor, query: { nom?: unknown; naissance?: unknown; page?: unknown }) {
    const nom = typeof query.nom === 'string' ? query.nom.trim().slice(0, 100) : '';
    const typed = typeof query.naissance === 'string' ? query.naissance.trim().slice(0, 20) : '';
    const naissance = isoDateOf(typed);
    const naissanceError = typed && !naissance ? 'Saisissez une date de naissance valide, par exemple 24/08/1962.' : '';
    const common = {
      pageTitle: 'Espace aidant',
      actor,
      // Counted by the guard from what it read for this request: no second read of the memberships.
      multiple: actor.usableStructures > 1,
      search: { nom, naissance: naissance || typed, error: naissanceError },
    };
    if (nom || naissance) return { ...common, searching: true, ...(await this.searchResults(actor, nom, naissance || null)) };
    const data = await this.transactions.run(async (m) => {
      const counts = await this.mandates.countLive(m, actor.structureId, EXPIRING_DAYS);
      const pagination = paginationOf(query.page, counts.live, PAGE_SIZE, '/aidant?page=');
      const live = await this.mandates.livePage(m, actor.structureId, { offset: (pagination.current - 1) * PAGE_SIZE, limit: PAGE_SIZE });
      // The soonest ends are the first live rows: page 1 already holds them.
      const shown = Math.min(counts.expiringSoon, EXPIRING_NAMED);
      const expiring = pagination.current === 1 ? live.slice(0, shown) : await this.mandates.livePage(m, actor.structureId, { offset: 0, limit: shown });
      const usagers = await this.identitiesById(m, [...live, ...expiring]);
      return { counts, pagination, live, expiring, usagers };
    });
    const row = rowOf(data.usagers);
    return {
      ...common,
      searching: false,
      counts: data.counts,
      pagination: data.pagination,
      live: data.live.map(row),
      expiring: data.expiring.map(row),
      expiringCount: data.counts.expiringSoon,
    };
  }

  /** `/aidant/mandats-termines`: the structure's revoked and expired mandates, latest end first, a page at a time. */
  async endedMandates(actor: AidantActor, query: { page?: unknown }) {
    const data = await this.transactions.run(async (m) => {
      const count = await this.mandates.countEnded(m, actor.structureId);
      const pagination = paginationOf(query.page, count, PAGE_SIZE, '/aidant/mandats-termines?page=');
      const ended = await this.mandates.endedPage(m, actor.structureId, { offset: (pagination.current - 1) * PAGE_SIZE, limit: PAGE_SIZE });
      return { count, pagination, ended, usagers: await this.identitiesById(m, ended) };
    });
    return { pageTitle: 'Mandats terminés', actor, count: data.count, pagination: data.pagination, ended: data.ended.map(rowOf(data.usagers)) };
  }

  /**
   * Any mandate of the structure whose usager is named so (the folded-word
   * index of the usagers) and born on `naissance` when given, live ones
   * first; SEARCH_SHOWN at most, with a word when there are more.
   */
  private async searchResults(actor: AidantActor, nom: string, naissance: string | null) {
    return this.transactions.run(async (m) => {
      let who: { usagerIds: string[] } | { bornOn: string };
      if (nom) {
        const named = await this.usagers.identitiesNamed(m, nom, naissance, NAMED_CANDIDATES_AT_MOST);
        if (named === null) return { results: [], tooCommon: true, more: false };
        who = { usagerIds: named.map((u) => u.id) };
      } else {
        who = { bornOn: naissance! };
      }
      const found = await this.mandates.found(m, actor.structureId, who, SEARCH_SHOWN + 1);
      const shown = found.slice(0, SEARCH_SHOWN);
      return { results: shown.map(rowOf(await this.identitiesById(m, shown))), tooCommon: false, more: found.length > SEARCH_SHOWN };
    });
  }

  async detail(actor: AidantActor, mandateId: string, flags: { created?: boolean; revoked?: boolean } = {}) {
    return this.transactions.run(async (m) => {
      const mandate = await this.mandates.getForStructure(m, actor.structureId, mandateId);
      const usager = await this.usagerOf(m, mandate);
      const opener = await this.aidants.findById(m, mandate.openedBy);
      const consent = await m.findOneBy(MandateConsent, { id: mandate.consentId });
      const entries = (await this.journal.find(m, { chain: actor.structureId, mandateId: mandate.id }, { limit: 100 })).entries;
      const names = new Map<string, string>();
      for (const id of new Set(entries.filter((e) => e.actor.type === 'aidant' && e.actor.id).map((e) => e.actor.id!))) {
        const a = await this.aidants.findById(m, id);
        if (a) names.set(id, `${a.givenName} ${a.familyName}`);
      }
      return {
        pageTitle: 'Mandat',
        m: { ...mandate, autorisations: mandate.autorisations.map((a) => ({ ...a, statusLabel: STATUS_LABELS[a.status] })) },
        usager: { name: displayName(usager) },
        identity: identityDisplay(usager),
        openedBy: opener ? `${opener.givenName} ${opener.familyName}` : '—',
        createdLabel: frenchDateTime(mandate.createdAt),
        endLabel: frenchDateTime(mandate.expiresAt),
        consent: consent ? consentCircumstances(consent, mandate.createdAt) : null,
        canRenew: actor.canOpenMandates && mandate.status !== 'revoked',
        reasons: REVOCATION_REASONS,
        created: flags.created ?? false,
        revoked: flags.revoked ?? false,
        errors: {},
        journal: entries.map((e) => ({
          at: frenchDateTime(e.at),
          action: e.action,
          demarche: e.demarche ? label(e.demarche) : '',
          actor:
            e.actor.type === 'aidant'
              ? (names.get(e.actor.id ?? '') ?? 'aidant')
              : e.actor.type === 'usager'
                ? 'la personne accompagnée'
                : 'Procuration',
        })),
      };
    });
  }

  /** Revocation by an aidant or a référent of the mandate's structure. */
  async revokeAsAidant(actor: AidantActor, mandateId: string, body: Record<string, unknown> | undefined, request: RequestFacts) {
    const reason = readReason(body?.motif);
    const autorisation = body?.autorisation;
    if (autorisation !== undefined && typeof autorisation !== 'string') throw new ValidationError({ autorisation: 'Démarche invalide.' });
    const by: Revoker = { type: actor.canOpenMandates ? 'aidant' : 'referent', aidantId: actor.aidantId, structureId: actor.structureId };
    await this.transactions.run((m) =>
      this.revocation.revoke(m, { mandateId, autorisationId: autorisation, by, reason, request }),
    );
  }

  /** Revocation by the usager from `/usager` (their own mandates only). */
  async revokeAsUsager(usagerId: string, mandateId: string, request: RequestFacts) {
    await this.transactions.run((m) =>
      this.revocation.revoke(m, { mandateId, by: { type: 'usager', usagerId }, reason: 'demande_usager', request }),
    );
  }

  /** The "Mes mandats" section of `/usager`: structure, démarches, dates, status, and whether it can be revoked. */
  async usagerSection(usagerId: string) {
    const views = await this.transactions.run((m) => this.mandates.listForUsager(m, usagerId));
    return views.map((v) => ({
      id: v.id,
      structure: v.structureName,
      demarches: v.liveDemarches.map(label),
      created: frenchDate(v.createdAt),
      end: frenchDate(v.expiresAt),
      status: v.status,
      statusLabel: v.statusLabel,
      revocable: v.status === 'live',
    }));
  }

  /**
   * The printable attestation (mandate or revocation): the stored one, so
   * viewing and printing write nothing. A mandate that has ended is marked
   * as such on every copy, so the paper cannot pass for a live mandate.
   */
  async attestation(actor: AidantActor, mandateId: string, kind: 'mandate' | 'revocation', request: RequestFacts) {
    return this.transactions.run(async (m) => {
      const mandate = await this.mandates.getForStructure(m, actor.structureId, mandateId);
      const revokedOnes = mandate.autorisations.filter((a) => a.status === 'revoked');
      if (kind === 'revocation' && revokedOnes.length === 0) {
        throw new MandateNotLiveError('Ce mandat n’a pas été révoqué : il n’y a pas d’attestation de révocation.', 'no revocation');
      }
      const usager = await this.usagerOf(m, mandate);
      const printable = await this.attestations.printable(m, {
        kind,
        mandate,
        actor: { type: 'aidant', id: actor.aidantId },
        request,
      });
      const { claims } = printable;
      const ended =
        kind === 'mandate' && mandate.status !== 'live'
          ? {
              revoked: mandate.status === 'revoked',
              at: frenchDateTime(
                mandate.status === 'revoked' ? (mandate.revokedAt ?? latestDate(revokedOnes.map((a) => a.revokedAt)) ?? mandate.expiresAt) : mandate.expiresAt,
              ),
            }
          : null;
      return {
        pageTitle: kind === 'revocation' ? 'Attestation de révocation' : 'Attestation de mandat',
        ...printable,
        ended,
        revokedSince:
          kind === 'mandate' && !ended ? revokedOnes.filter((a) => claims.demarches.includes(a.demarche)).map((a) => a.label) : [],
        verificationPath: VERIFICATION_PATH,
        identity: identityDisplay(attestedIdentity(claims.usager, usager)),
        labels: claims.demarches.map(label),
        revokedLabels: (claims.revoked_demarches ?? []).map(label),
        createdLabel: frenchDateTime(claims.created_at),
        endLabel: frenchDateTime(claims.expires_at),
        revokedLabel: claims.revoked_at ? frenchDateTime(claims.revoked_at) : '',
      };
    });
  }

  /**
   * Public verification, by the QR code's short link (`id`) or a pasted
   * signature (`jws`): rate-limited per address, journaled once per
   * attestation and day. Shows no personal data.
   */
  async verification(query: { jws: unknown; id: unknown }, request: RequestFacts) {
    const given = (v: unknown) => v !== undefined && v !== '';
    if (!given(query.jws) && !given(query.id)) return { pageTitle: 'Vérifier une attestation', result: null };
    const byId = given(query.id);
    const value = byId ? query.id : query.jws;
    if (typeof value !== 'string') throw new ValidationError({ jws: 'Collez le texte de signature de l’attestation.' });
    const result = await this.verifications.verify(byId ? { id: value } : { jws: value }, request);
    return {
      pageTitle: 'Vérifier une attestation',
      result,
      labels: result.claims.demarches.map(label),
      createdLabel: frenchDate(result.claims.created_at),
      endLabel: frenchDate(result.claims.expires_at),
      endedLabel: result.endedAt ? frenchDate(result.endedAt) : '',
    };
  }

  private async usagerOf(m: EntityManager, mandate: MandateView): Promise<UsagerView> {
    const usager = await this.usagers.findById(m, mandate.usagerId);
    if (!usager) throw new Error(`usager of mandate ${mandate.id} missing`);
    return usager;
  }

  private async identitiesById(m: EntityManager, views: MandateView[]): Promise<Map<string, UsagerIdentity>> {
    return new Map((await this.usagers.identitiesOf(m, views.map((v) => v.usagerId))).map((u) => [u.id, u]));
  }
}

/**
 * The identity printed on an attestation: what was signed into it. Attestations
 * signed before the claims carried the birth name and birthplace fall back on
 * the usager's record for the birthplace and gender.
 */
function attestedIdentity(signed: AttestationClaims['usager'], usager: UsagerView) {
  return {
    givenName: signed.given_name,
    familyName: signed.birth_name ?? signed.family_name,
    preferredUsername: signed.birth_name ? signed.family_name : null,
    birthdate: signed.birthdate,
    gender: signed.gender ?? usager.gender,
    birthplace: signed.birthplace ?? usager.birthplace,
    birthcountry: signed.birthcountry ?? usager.birthcountry,
  };
}

const REMOTE_CHANNELS: Record<'email' | 'phone', string> = { email: 'par courriel', phone: 'par téléphone avec un code' };

/**
 * How the usager consented, from the consent evidence, for the mandate page
 * only: the signed attestation does not carry it, and attestations already
 * signed keep their content. A remote consent is given when the mandate is
 * created, in the same transaction.
 */
function consentCircumstances(consent: MandateConsent, createdAt: Date) {
  const identified = consent.fcAuthTime ? ` (identification FranceConnect le ${frenchDateTime(consent.fcAuthTime)})` : '';
  if (consent.kind === 'remote') {
    const channel = consent.remoteChannel ? ` ${REMOTE_CHANNELS[consent.remoteChannel]}` : '';
    return { remote: true, line: `Donné à distance${channel}, le ${frenchDateTime(createdAt)}${identified}` };
  }
  if (consent.kind === 'renewal') return { remote: false, line: `Renouvellement au guichet du consentement précédent, le ${frenchDateTime(createdAt)}` };
  return { remote: false, line: `Donné au guichet, en présence de l’aidant, le ${frenchDateTime(createdAt)}${identified}` };
}

/** A birthdate typed as `AAAA-MM-JJ` (what a date picker sends) or `JJ/MM/AAAA` (typed by hand); '' when neither. */
function isoDateOf(typed: string): string {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(typed);
  const french = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(typed);
  const [y, m, d] = iso ? [iso[1], iso[2], iso[3]] : french ? [french[3], french[2], french[1]] : [];
  if (!y || !m || !d) return '';
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(m) - 1 || date.getUTCDate() !== Number(d)) return '';
  return date.toISOString().slice(0, 10);
}

function latestDate(dates: Array<Date | null>): Date | null {
  const times = dates.filter((d): d is Date => d !== null).map((d) => d.getTime());
  return times.length > 0 ? new Date(Math.max(...times)) : null;
}
