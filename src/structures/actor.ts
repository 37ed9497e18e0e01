/** Who does something, as the journal records it. */
export interface Actor {
  type: 'aidant' | 'usager' | 'operator' | 'partner' | 'system';
  id: string | null;
}
