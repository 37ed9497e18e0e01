/**
 * The fixed catalogue of démarches (scopes of a mandate), with their French
 * labels. Structures restrict it, mandates pick from it, the provider face
 * emits its ids; it never changes at run time.
 */
export const DEMARCHES = [
  { id: 'papiers', label: 'Papiers – Citoyenneté' },
  { id: 'famille', label: 'Famille' },
  { id: 'social', label: 'Social – Santé' },
  { id: 'travail', label: 'Travail' },
  { id: 'logement', label: 'Logement' },
  { id: 'transports', label: 'Transports' },
  { id: 'argent', label: 'Argent' },
  { id: 'justice', label: 'Justice' },
  { id: 'etranger', label: 'Étranger' },
  { id: 'loisirs', label: 'Loisirs' },
] as const;

export type DemarcheId = (typeof DEMARCHES)[number]['id'];

export const DEMARCHE_IDS: readonly DemarcheId[] = DEMARCHES.map((d) => d.id);

export function isDemarcheId(value: unknown): value is DemarcheId {
  return typeof value === 'string' && (DEMARCHE_IDS as readonly string[]).includes(value);
}

export function demarcheLabel(id: DemarcheId): string {
  return DEMARCHES.find((d) => d.id === id)!.label;
}
