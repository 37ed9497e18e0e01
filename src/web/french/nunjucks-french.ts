import type nunjucks from 'nunjucks';
import { actionLabel } from './action-labels.js';
import { frenchCalendarDate, frenchDate, frenchDateTime } from './dates.js';
import { identityDisplay, type IdentityInput } from './identity.js';
import { agree, de, plural, pluralWord, type FrenchGender } from './words.js';

/**
 * The French helpers as template filters, so that no template writes its own
 * agreement, elision or date format:
 * `{{ 'Mandat ' + (name | de) }}`, `{{ n | pluriel('révoqué') }}`,
 * `{{ gender | accord('née', 'né', 'naissance') }}`, `{{ at | date_fr }}`,
 * `{{ at | date_heure_fr }}`, `{{ '1962-08-24' | date_calendaire }}`,
 * `{{ (usager | identite).line }}`, `{{ entry.action | action }}`.
 */
export function registerFrenchFilters(env: nunjucks.Environment): void {
  env.addFilter('de', (word: unknown) => de(String(word ?? '')));
  env.addFilter('pluriel', (count: unknown, singular: string, pluralForm?: string) => plural(Number(count) || 0, singular, pluralForm));
  env.addFilter('accord_nombre', (count: unknown, singular: string, pluralForm?: string) =>
    pluralWord(Number(count) || 0, singular, pluralForm),
  );
  env.addFilter('accord', (gender: FrenchGender, female: string, male: string, neutral: string) => agree(gender, female, male, neutral));
  env.addFilter('date_fr', (at: Date | string) => frenchDate(at));
  env.addFilter('date_heure_fr', (at: Date | string) => frenchDateTime(at));
  env.addFilter('date_calendaire', (iso: string) => frenchCalendarDate(String(iso ?? '')));
  env.addFilter('action', (code: unknown) => actionLabel(String(code ?? '')));
  env.addFilter('identite', (input: IdentityInput) => identityDisplay(input));
}
