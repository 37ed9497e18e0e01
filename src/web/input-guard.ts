import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainError } from '../shared/domain-error.js';

/**
 * The global input guard: every query parameter, form field and route
 * parameter that reaches a handler is a string of printable Unicode text of
 * bounded length, or, for the fields a handler declares repeatable
 * (checkboxes), a short list of such strings. Everything else is refused
 * with one French page before any handler or SQL sees it: PostgreSQL refuses
 * NUL bytes in text (a 500 otherwise), and handlers need not each guess what
 * a JSON body or a repeated parameter may hold.
 */
export class InputRefusedError extends DomainError {
  readonly code = 'input.refused';
  readonly status = 400;
  readonly title = 'Demande refusée';

  constructor(logMessage: string) {
    super(
      'La demande contient une valeur qui n’est pas acceptée : un caractère invisible ou nul, un texte mal encodé ou trop long, ou un champ répété ou structuré là où un seul texte est attendu. Revenez à la page précédente, vérifiez la saisie et recommencez.',
      logMessage,
    );
  }
}

const REPEATED_FIELDS = 'procuration:repeated-fields';

/** Fields of the handler's form that may arrive repeated (checkboxes); all others must be single strings. */
export const RepeatedFields = (...names: string[]) => SetMetadata(REPEATED_FIELDS, names);

/** Longest value accepted (an attestation JWS in a query string is the longest legitimate one, about 2 kB). */
export const MAX_VALUE_LENGTH = 8192;
const MAX_NAME_LENGTH = 100;
const MAX_REPEATS = 50;

/**
 * C0 controls except tab, line feed and carriage return, DEL, lone UTF-16
 * surrogates (a JSON body can carry them) and U+FFFD, which is what the
 * parsers make of bytes that are not UTF-8.
 */
// eslint-disable-next-line no-control-regex
const REFUSED_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a text is refused, or null when it is acceptable. */
export function refusalOfText(text: string, max = MAX_VALUE_LENGTH): string | null {
  if (text.length > max) return `longer than ${max} characters`;
  if (REFUSED_CHARACTERS.test(text)) return 'control character, lone surrogate or bytes that are not UTF-8';
  return null;
}

/** Why a parsed set of fields (query, form body, route parameters) is refused, or null. */
export function refusalOfFields(fields: unknown, repeatable: ReadonlySet<string>): string | null {
  if (fields === undefined || fields === null) return null;
  if (typeof fields !== 'object' || Array.isArray(fields)) return 'fields are not a set of names and values';
  for (const [name, value] of Object.entries(fields)) {
    const nameRefusal = refusalOfText(name, MAX_NAME_LENGTH);
    if (nameRefusal) return `field name: ${nameRefusal}`;
    const refusal = refusalOfValue(name, value, repeatable);
    if (refusal) return refusal;
  }
  return null;
}

function refusalOfValue(name: string, value: unknown, repeatable: ReadonlySet<string>): string | null {
  // Names are known safe here (checked above); values never reach the log.
  if (typeof value === 'string') {
    const refusal = refusalOfText(value);
    return refusal ? `field ${name}: ${refusal}` : null;
  }
  if (Array.isArray(value) && repeatable.has(name)) {
    if (value.length > MAX_REPEATS) return `field ${name}: repeated more than ${MAX_REPEATS} times`;
    for (const item of value) {
      if (typeof item !== 'string') return `field ${name}: a list item is not text`;
      const refusal = refusalOfText(item);
      if (refusal) return `field ${name}: ${refusal}`;
    }
    return null;
  }
  return `field ${name}: ${Array.isArray(value) ? 'repeated' : `a ${value === null ? 'null' : typeof value}`} where one text is expected`;
}

@Injectable()
export class InputGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    const repeatable = new Set(this.reflector.getAllAndOverride<string[]>(REPEATED_FIELDS, [context.getHandler(), context.getClass()]) ?? []);
    const refusal =
      refusalOfFields(req.params, new Set()) ??
      refusalOfFields(req.query, repeatable) ??
      // A request without a body has `undefined` here; a JSON array or scalar is refused.
      refusalOfFields(req.body, repeatable);
    if (refusal) throw new InputRefusedError(`input refused: ${refusal}`);
    return true;
  }
}
