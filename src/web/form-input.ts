import { ValidationError } from '../shared/domain-error.js';

/**
 * Reads form fields of unknown shape (a repeated field arrives as an array,
 * a JSON body may carry numbers or objects) into strings, collecting French
 * messages per field; `done()` throws one ValidationError with all of them.
 */
export class FormInput {
  readonly errors: Record<string, string> = {};

  constructor(private readonly body: unknown) {}

  private raw(name: string): unknown {
    return this.body && typeof this.body === 'object' ? (this.body as Record<string, unknown>)[name] : undefined;
  }

  text(name: string, label: string, options: { max: number; required?: boolean; trim?: boolean }): string {
    const value = this.raw(name);
    if (value === undefined || value === '') {
      if (options.required !== false) this.errors[name] = `Renseignez ${label}.`;
      return '';
    }
    if (typeof value !== 'string') {
      this.errors[name] = `${capitalise(label)} doit être un texte.`;
      return '';
    }
    const text = options.trim === false ? value : value.trim();
    if (options.required !== false && text === '') this.errors[name] = `Renseignez ${label}.`;
    if (text.length > options.max) this.errors[name] = `${capitalise(label)} doit contenir au plus ${options.max} caractères.`;
    return text;
  }

  email(name = 'email'): string {
    const text = this.text(name, 'votre adresse électronique', { max: 254 }).toLowerCase();
    if (!this.errors[name] && !EMAIL.test(text)) {
      this.errors[name] = 'Saisissez une adresse électronique valide, par exemple prenom.nom@exemple.fr.';
    }
    return text;
  }

  totp(name = 'totp', label = 'le code à usage unique'): string {
    const text = this.text(name, label, { max: 6 * 4 }).replace(/\s/g, '');
    if (!this.errors[name] && !/^\d{6}$/.test(text)) this.errors[name] = 'Le code à usage unique est composé de 6 chiffres.';
    return text;
  }

  /** A repeated field (checkboxes): always an array of strings. */
  list(name: string, maxItems: number): string[] {
    const value = this.raw(name);
    const items = value === undefined ? [] : Array.isArray(value) ? value : [value];
    if (items.length > maxItems || !items.every((v) => typeof v === 'string')) {
      this.errors[name] = 'Sélection invalide.';
      return [];
    }
    return items as string[];
  }

  fail(name: string, message: string): void {
    this.errors[name] ??= message;
  }

  get valid(): boolean {
    return Object.keys(this.errors).length === 0;
  }

  done(): void {
    if (!this.valid) throw new ValidationError({ ...this.errors });
  }
}

/** Pragmatic address check (one @, a dot in the domain, no spaces or angle brackets). */
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]{2,}$/;

export function isEmail(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}

function capitalise(label: string): string {
  const words = label.replace(/^(votre|le|la|l’|les)\s*/i, '');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
