import { DEMARCHE_IDS, demarcheLabel, type DemarcheId } from '../demarches/demarches.js';
import { DURATIONS, type Duration } from './mandate-status.js';
import type { MandateView } from './mandates.types.js';

/**
 * What a renewal without FranceConnect may cover: the démarches the mandate
 * still holds (open autorisations: neither revoked one by one nor replaced by
 * a later mandate) for at most its duration. Anything wider is a new consent
 * through FranceConnect (docs/decisions/0502-renewal-cannot-widen.md).
 */
export interface RenewalBounds {
  demarches: DemarcheId[];
  duration: Duration;
}

export function renewalBounds(mandate: MandateView): RenewalBounds {
  const held = new Set(mandate.autorisations.filter((a) => a.revokedAt === null).map((a) => a.demarche));
  return { demarches: DEMARCHE_IDS.filter((d) => held.has(d)), duration: mandate.duration };
}

export interface Widening {
  added: DemarcheId[];
  longer: boolean;
}

/** How a renewal's choice goes beyond the bounds; null when it keeps or narrows. */
export function wideningOf(bounds: RenewalBounds, choice: { demarches: readonly DemarcheId[]; duration: Duration }): Widening | null {
  const added = choice.demarches.filter((d) => !bounds.demarches.includes(d));
  const longer = DURATIONS[choice.duration].days > DURATIONS[bounds.duration].days;
  return added.length > 0 || longer ? { added, longer } : null;
}

/** Durations a renewal may choose: the mandate's own and the shorter ones. */
export function renewableDurations(bounds: RenewalBounds): Partial<typeof DURATIONS> {
  const limit = DURATIONS[bounds.duration].days;
  return Object.fromEntries(Object.entries(DURATIONS).filter(([, d]) => d.days <= limit)) as Partial<typeof DURATIONS>;
}

/** The French explanation of a refused widening, naming what was added. */
export function wideningMessage(widening: Widening, bounds: RenewalBounds): string {
  const parts: string[] = [];
  if (widening.added.length > 0) {
    const names = widening.added.map((d) => `« ${demarcheLabel(d)} »`).join(', ');
    parts.push(widening.added.length > 1 ? `ajouter les démarches ${names}` : `ajouter la démarche ${names}`);
  }
  if (widening.longer) parts.push(`allonger la durée au-delà de ${DURATIONS[bounds.duration].label}`);
  return (
    'Un renouvellement sans FranceConnect peut seulement garder ou réduire les démarches et garder ou raccourcir la durée. ' +
    `Pour ${parts.join(' et ')}, créez un nouveau mandat : la personne donnera son accord en se connectant avec FranceConnect.`
  );
}
