import { isDemarcheId } from '../demarches/demarches.js';
import type { JournalFilter } from '../journal/reading/journal-queries.js';
import { ValidationError } from '../shared/domain-error.js';
import { DESCRIBED_ACTIONS } from './describe-entry.js';
import { parisOffsetMs } from '../web/french/index.js';

/** The search form's fields (query string), as typed. */
export const SEARCH_FIELDS = ['du', 'au', 'aidant', 'usager', 'naissance', 'action', 'demarche', 'partenaire', 'mandat', 'taille'] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];
export type SearchValues = Partial<Record<SearchField, string>>;

export const SEARCH_PAGE_SIZE = 50;
export const SEARCH_MAX_PAGE_SIZE = 200;

export interface JournalSearch {
  /** Criteria on the journal itself (the structure's chain is added by the service). */
  filter: Omit<JournalFilter, 'chain'>;
  /** A usager named by name (and birthdate), resolved to ids by the service. */
  usagerName: string | null;
  birthdate: string | null;
  limit: number;
  values: SearchValues;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const PARTNER_ID = /^[A-Za-z0-9._:-]{1,100}$/;
const NAME = /^[\p{L}\p{M}' .-]{1,100}$/u;

/** The instant a Paris calendar day starts (`YYYY-MM-DD`), or null if the text is no real date. */
export function parisDayStart(text: string): Date | null {
  const match = DAY.exec(text);
  if (!match) return null;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const utc = Date.UTC(y, m - 1, d);
  const check = new Date(utc);
  if (y < 2000 || y > 2999 || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) return null;
  return new Date(utc - parisOffsetMs(new Date(utc)));
}

function stringValues(query: unknown): SearchValues {
  const values: SearchValues = {};
  for (const name of SEARCH_FIELDS) {
    const raw = (query as Record<string, unknown> | undefined)?.[name];
    // A repeated parameter (`?action=a&action=b`) is not a choice the form offers.
    const value = typeof raw === 'string' ? raw.trim() : Array.isArray(raw) ? '\u0000' : '';
    if (value !== '') values[name] = value.slice(0, 200);
  }
  return values;
}

/**
 * Reads the search form (query string) into journal criteria, or throws a
 * ValidationError with a French message per wrong field. Values are only
 * ever bound as query parameters; the checks here are for clear messages.
 */
export function parseJournalSearch(query: unknown, options: { memberIds: ReadonlySet<string> }): JournalSearch {
  const values = stringValues(query);
  const errors: Partial<Record<SearchField, string>> = {};
  const filter: JournalSearch['filter'] = {};

  const from = values.du === undefined ? undefined : parisDayStart(values.du);
  const toDay = values.au === undefined ? undefined : parisDayStart(values.au);
  if (from === null) errors.du = 'Saisissez une date de début valide, au format JJ/MM/AAAA.';
  if (toDay === null) errors.au = 'Saisissez une date de fin valide, au format JJ/MM/AAAA.';
  if (from) filter.from = from;
  if (toDay) {
    // `au` is included: the period ends when the next day starts.
    filter.to = parisDayStart(nextDay(values.au!)) ?? undefined;
    if (from && from > toDay) errors.au = 'La date de fin doit être le même jour que la date de début ou après.';
  }

  if (values.aidant !== undefined) {
    if (!UUID.test(values.aidant) || !options.memberIds.has(values.aidant.toLowerCase())) {
      errors.aidant = 'Choisissez un aidant de votre structure dans la liste.';
    } else {
      filter.actor = { type: 'aidant', id: values.aidant.toLowerCase() };
    }
  }

  let usagerName: string | null = null;
  if (values.usager !== undefined) {
    if (UUID.test(values.usager)) filter.usagerId = values.usager.toLowerCase();
    else if (NAME.test(values.usager)) usagerName = values.usager;
    else errors.usager = 'Saisissez le nom de l’usager (lettres, espaces, apostrophes et tirets) ou son identifiant.';
  }
  let birthdate: string | null = null;
  if (values.naissance !== undefined) {
    if (!isPastDate(values.naissance)) {
      errors.naissance = 'Saisissez une date de naissance valide, au format JJ/MM/AAAA.';
    } else if (values.usager === undefined) {
      errors.naissance = 'Indiquez aussi le nom de l’usager pour chercher par date de naissance.';
    } else {
      birthdate = values.naissance;
    }
  }

  if (values.action !== undefined) {
    if (!DESCRIBED_ACTIONS.includes(values.action)) errors.action = 'Choisissez une action dans la liste.';
    else filter.action = values.action;
  }
  if (values.demarche !== undefined) {
    if (!isDemarcheId(values.demarche)) errors.demarche = 'Choisissez une démarche dans la liste.';
    else filter.demarche = values.demarche;
  }
  if (values.partenaire !== undefined) {
    if (!PARTNER_ID.test(values.partenaire)) {
      errors.partenaire = 'L’identifiant du service partenaire ne peut contenir que des lettres, chiffres, points, tirets et deux-points (100 au plus).';
    } else {
      filter.partnerId = values.partenaire;
    }
  }
  if (values.mandat !== undefined) {
    if (!UUID.test(values.mandat)) errors.mandat = 'Saisissez l’identifiant complet du mandat (format 8-4-4-4-12 caractères).';
    else filter.mandateId = values.mandat.toLowerCase();
  }

  let limit = SEARCH_PAGE_SIZE;
  if (values.taille !== undefined) {
    const size = /^\d{1,6}$/.test(values.taille) ? Number(values.taille) : NaN;
    if (!(size >= 1 && size <= SEARCH_MAX_PAGE_SIZE)) errors.taille = `Choisissez entre 1 et ${SEARCH_MAX_PAGE_SIZE} entrées par page.`;
    else limit = size;
  }

  if (Object.keys(errors).length > 0) throw new ValidationError(errors as Record<string, string>, `invalid journal search: ${Object.keys(errors).join(', ')}`);
  return { filter, usagerName, birthdate, limit, values };
}

/** Birthdates may be before 2000: only the calendar is checked. */
function isPastDate(text: string): boolean {
  const match = DAY.exec(text);
  if (!match) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(y, m - 1, d));
  return y >= 1880 && date.getUTCMonth() === m - 1 && date.getUTCDate() === d && date.getTime() < Date.now();
}

function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/**
 * The criteria as they are journaled with an export: field names of the form
 * and values as typed, except a usager's name and birthdate (the journal
 * holds no personal data), recorded only as having been used.
 */
export function searchCriteria(search: JournalSearch): Record<string, string> {
  const criteria: Record<string, string> = {};
  for (const name of SEARCH_FIELDS) {
    const value = search.values[name];
    if (name === 'taille' || value === undefined) continue;
    criteria[name] = (name === 'usager' && search.usagerName !== null) || name === 'naissance' ? '(recherche par nom)' : value;
  }
  return criteria;
}

/** The query string of a search (for links to the next page and to the export). */
export function searchQuery(values: SearchValues, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const name of SEARCH_FIELDS) if (values[name] !== undefined) params.set(name, values[name]!);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return params.toString();
}
