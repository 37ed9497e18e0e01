/**
 * The fictional people of the FranceConnect simulator (identity claims as
 * FranceConnect v2 sends them), and scenario entries that make it fail in
 * the ways the real one can.
 */

export type Scenario = 'access_denied' | 'token_error' | 'malformed_claims';

export interface SimulatedIdentity {
  /** Local account id; the relying party only ever sees a pairwise `sub`. */
  id: string;
  /** What the sign-in page shows. */
  label: string;
  scenario?: Scenario;
  claims: Record<string, string>;
}

export const SIMULATED_IDENTITIES: readonly SimulatedIdentity[] = [
  {
    id: 'angela',
    label: 'Angela Claire Louise DUBOIS, née à Paris 7e, nom d’usage MARTIN',
    claims: {
      given_name: 'Angela Claire Louise',
      family_name: 'DUBOIS',
      preferred_username: 'MARTIN',
      birthdate: '1962-08-24',
      gender: 'female',
      birthplace: '75107',
      birthcountry: '99100',
      email: 'angela.dubois@example.fr',
    },
  },
  {
    id: 'lucia',
    label: 'Lucía GARCÍA FERNÁNDEZ, née en Espagne',
    claims: {
      given_name: 'Lucía',
      family_name: 'GARCÍA FERNÁNDEZ',
      birthdate: '1985-11-03',
      gender: 'female',
      birthplace: '',
      birthcountry: '99134',
      email: 'lucia.garcia@example.fr',
    },
  },
  {
    id: 'paul',
    label: 'Paul-Antoine Marie SANTONI, né à Ajaccio (Corse-du-Sud)',
    claims: {
      given_name: 'Paul-Antoine Marie',
      family_name: 'SANTONI',
      birthdate: '1948-03-17',
      gender: 'male',
      birthplace: '2A004',
      birthcountry: '99100',
      email: 'pa.santoni@example.fr',
    },
  },
  {
    id: 'jeanne',
    label: 'Jeanne LEFÈVRE, née à Lille, sans adresse électronique',
    claims: {
      given_name: 'Jeanne',
      family_name: 'LEFÈVRE',
      birthdate: '1937-05-02',
      gender: 'female',
      birthplace: '59350',
      birthcountry: '99100',
    },
  },
  {
    id: 'mamadou',
    label: 'Mamadou DIALLO, né au Sénégal',
    claims: {
      given_name: 'Mamadou',
      family_name: 'DIALLO',
      birthdate: '2001-12-30',
      gender: 'male',
      birthplace: '',
      birthcountry: '99341',
      email: 'mamadou.diallo@example.fr',
    },
  },
  {
    id: 'eric',
    label: 'Éric Jean ROUSSEL, né à Lyon, nom d’usage ROUSSEL-NGUYEN',
    claims: {
      given_name: 'Éric Jean',
      family_name: 'ROUSSEL',
      preferred_username: 'ROUSSEL-NGUYEN',
      birthdate: '1975-07-14',
      gender: 'male',
      birthplace: '69123',
      birthcountry: '99100',
      email: 'eric.roussel@example.fr',
    },
  },
  {
    id: 'refus',
    label: 'Scénario : la personne annule (access_denied)',
    scenario: 'access_denied',
    claims: {},
  },
  {
    id: 'panne',
    label: 'Scénario : erreur 500 au point de jeton',
    scenario: 'token_error',
    claims: {
      given_name: 'Camille',
      family_name: 'PANNE',
      birthdate: '1980-01-01',
      gender: 'female',
      birthplace: '75056',
      birthcountry: '99100',
    },
  },
  {
    id: 'malforme',
    label: 'Scénario : données d’identité malformées',
    scenario: 'malformed_claims',
    claims: {
      given_name: 'Dominique',
      family_name: 'ERREUR',
      birthdate: '1980-02-30',
      gender: 'autre',
      birthplace: '75056',
      birthcountry: '99134',
      email: 'pas-une-adresse',
    },
  },
];

export function findSimulatedIdentity(id: unknown): SimulatedIdentity | undefined {
  return SIMULATED_IDENTITIES.find((identity) => identity.id === id);
}
