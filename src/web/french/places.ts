import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Birthplaces from their INSEE codes (FranceConnect's `birthplace` and
 * `birthcountry` claims). Communes and départements come from the Code
 * officiel géographique as published in `@etalab/decoupage-administratif`,
 * read once, on first use; only the two JSON files needed are loaded.
 */

interface CommuneRow {
  code: string;
  nom: string;
  departement?: string;
  type: string;
  anciensCodes?: string[];
}

/** Rows that name a place a person may be born in, best first for a code held by several. */
const TYPE_RANK: Record<string, number> = {
  'commune-actuelle': 0,
  'arrondissement-municipal': 1,
  'commune-deleguee': 2,
  'commune-associee': 3,
};

const require = createRequire(import.meta.url);
const readData = <T>(file: string): T =>
  JSON.parse(readFileSync(require.resolve(`@etalab/decoupage-administratif/data/${file}`), 'utf8')) as T;

let communeNames: Map<string, string> | null = null;

function loadCommunes(): Map<string, string> {
  const departements = new Map(readData<Array<{ code: string; nom: string }>>('departements.json').map((d) => [d.code, d.nom]));
  const rows = readData<CommuneRow[]>('communes.json')
    .filter((row) => row.type in TYPE_RANK)
    .sort((a, b) => TYPE_RANK[a.type]! - TYPE_RANK[b.type]!);
  const names = new Map<string, string>();
  const name = (row: CommuneRow) => {
    const departement = row.departement ? departements.get(row.departement) : undefined;
    // "Paris" and "Paris 7e Arrondissement" name their département already.
    return departement && !row.nom.startsWith(departement) ? `${row.nom} (${departement})` : row.nom;
  };
  for (const row of rows) if (!names.has(row.code)) names.set(row.code, name(row));
  // Codes a commune had before a merger or a renumbering (Corsica's 20xxx), for people born before the change.
  for (const row of rows) for (const old of row.anciensCodes ?? []) if (!names.has(old)) names.set(old, name(row));
  return names;
}

/** "Vesoul (Haute-Saône)", "Ajaccio (Corse-du-Sud)"; null when the code is not a known commune. */
export function communeName(code: string): string | null {
  communeNames ??= loadCommunes();
  return communeNames.get(code) ?? null;
}

/**
 * INSEE country codes of the countries people born abroad most often come
 * from. No maintained package publishes the INSEE country list, so the names
 * are kept here; any other code is shown as it is, marked as an INSEE code.
 */
const COUNTRIES: Record<string, string> = {
  '99100': 'France',
  '99101': 'Danemark',
  '99102': 'Islande',
  '99103': 'Norvège',
  '99104': 'Suède',
  '99105': 'Finlande',
  '99109': 'Allemagne',
  '99110': 'Autriche',
  '99111': 'Bulgarie',
  '99112': 'Hongrie',
  '99114': 'Roumanie',
  '99122': 'Pologne',
  '99123': 'Russie',
  '99125': 'Albanie',
  '99126': 'Grèce',
  '99127': 'Italie',
  '99131': 'Belgique',
  '99132': 'Royaume-Uni',
  '99134': 'Espagne',
  '99135': 'Pays-Bas',
  '99136': 'Irlande',
  '99137': 'Luxembourg',
  '99138': 'Monaco',
  '99139': 'Portugal',
  '99140': 'Suisse',
  '99208': 'Turquie',
  '99216': 'Chine',
  '99217': 'Japon',
  '99223': 'Inde',
  '99350': 'Maroc',
  '99341': 'Sénégal',
  '99351': 'Tunisie',
  '99352': 'Algérie',
  '99401': 'Canada',
  '99404': 'États-Unis',
};

/** "Espagne"; null when the code is not one of the listed countries. */
export function countryName(code: string): string | null {
  return Object.hasOwn(COUNTRIES, code) ? COUNTRIES[code]! : null;
}

const unknownCode = (code: string) => `${code} (code INSEE)`;

/**
 * Where a person was born, as a place name: the commune for people born in
 * France, the country for people born abroad. A code the data does not know
 * is shown as it is with "(code INSEE)", never an error; null when no code
 * was given at all.
 */
export function birthplaceName(birthplace: string, birthcountry: string): string | null {
  if (birthplace) return communeName(birthplace) ?? unknownCode(birthplace);
  if (!birthcountry) return null;
  if (birthcountry === '99100') return 'France';
  return countryName(birthcountry) ?? unknownCode(birthcountry);
}

