import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AidantActor } from '../aidants/aidant-actor.js';
import { AidantsService } from '../aidants/aidants.service.js';
import { requireStructureAccess } from '../aidants/structure-access.js';
import { Clock } from '../clock/clock.js';
import { JournalQueries } from '../journal/reading/journal-queries.js';
import { MandatesService } from '../mandates/mandates.service.js';
import { chainOf } from '../journal/journal.service.js';
import { demarcheLabelOf, frenchDateTime } from './describe-entry.js';
import { EntryNamesService } from './entry-names.js';
import { monthLabel, usageChartSvg } from './usage-chart.js';

/** Live mandates are counted up to this many ("500 ou plus" beyond). */
const LIVE_LIST_CAP = 500;

/** The last `count` months, oldest first, as `YYYY-MM` (UTC), ending with the month of `now`. */
export function lastMonths(now: Date, count: number): string[] {
  const months: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    months.push(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1)).toISOString().slice(0, 7));
  }
  return months;
}

/** `/structure`: the référent's view of aidants, mandates, uses and partners. */
@Injectable()
export class DashboardService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly aidants: AidantsService,
    private readonly queries: JournalQueries,
    private readonly clock: Clock,
    private readonly mandates: MandatesService,
    private readonly names: EntryNamesService,
  ) {}

  async overview(actor: AidantActor, structureId: string) {
    requireStructureAccess(actor, structureId);
    const manager = this.dataSource.manager;
    const chain = chainOf(structureId);
    const now = this.clock.now();
    const months = lastMonths(now, 12);
    const since = new Date(`${months[0]}-01T00:00:00.000Z`);

    const members = await this.aidants.memberSummaries(manager, structureId);
    const activity = await this.queries.lastActivity(manager, chain, 'aidant', members.map((m) => m.id));
    const aidants = members.map((aidant) => {
      const suspended = aidant.suspendedAt !== null || aidant.habilitationStatus === 'suspended';
      const last = activity.get(aidant.id) ?? aidant.lastSignedInAt?.toISOString() ?? null;
      return {
        name: `${aidant.givenName} ${aidant.familyName}`,
        active: !suspended && aidant.habilitationStatus === 'habilitated',
        suspended,
        status: suspended ? 'suspendu' : aidant.habilitationStatus === 'habilitated' ? 'actif' : aidant.habilitationStatus === 'revoked' ? 'révoqué' : 'en attente d’habilitation',
        lastActivity: last ? frenchDateTime(last) : 'jamais',
      };
    });

    // Uses of mandates (`autorisation.used`), counted by the database as they are appended
    // (migration 1765100000000): no scan of the year's uses.
    const counts = await this.queries.useCountsByDemarcheAndMonth(manager, chain, since);
    const demarches = [...new Set(counts.map((c) => c.demarche ?? ''))].sort();
    const series = demarches.map((d) => ({
      label: demarcheLabelOf(d) || 'non précisée',
      counts: months.map((m) => counts.find((c) => (c.demarche ?? '') === d && c.month === m)?.count ?? 0),
    }));
    const partners = await this.queries.usePartners(manager, chain, since);
    const partnerNames = await this.names.partnersNamed(manager, partners.map((p) => p.partnerId));

    return {
      pageTitle: 'Tableau de bord de la structure',
      structureName: actor.structureName,
      aidants,
      aidantCounts: { active: aidants.filter((a) => a.active).length, suspended: aidants.filter((a) => a.suspended).length },
      mandates: await this.mandateFigures(structureId, new Date(now.getTime() - 365 * 86_400_000)),
      uses: {
        months: months.map(monthLabel),
        series,
        total: counts.reduce((sum, c) => sum + c.count, 0),
        chart: usageChartSvg({ months, series }, 'Utilisations des mandats par mois et par démarche, sur 12 mois'),
      },
      // A partner no longer registered keeps a neutral name: the référent never reads an identifier.
      partners: partners.map((p) => ({ ...p, name: partnerNames.get(p.partnerId) ?? 'Service partenaire supprimé', lastAt: frenchDateTime(p.lastAt) })),
    };
  }

  /**
   * Live and soon-expiring mandates counted by the mandates module (no
   * mandate loaded); expirations and revocations of the last 12 months from
   * the journal, which records each once (an index range of those two
   * actions in the chain).
   */
  private async mandateFigures(structureId: string, since: Date) {
    const manager = this.dataSource.manager;
    const running = await this.mandates.countRunning(manager, structureId, { cap: LIVE_LIST_CAP, days: 30 });
    const ended = await this.queries.countActions(manager, chainOf(structureId), ['mandate.expired', 'mandate.revoked'], since);
    return {
      live: running.live >= LIVE_LIST_CAP ? `${LIVE_LIST_CAP} ou plus` : String(running.live),
      expiringSoon: running.expiringSoon,
      expired: ended.get('mandate.expired') ?? 0,
      revoked: ended.get('mandate.revoked') ?? 0,
    };
  }
}
