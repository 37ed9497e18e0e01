import type { DestinationStream, LogFn, Logger } from 'pino';
import type { Params } from 'nestjs-pino';

/**
 * What never reaches a log line, whoever logs: the values a database error
 * carries (a query's parameters, PostgreSQL's `detail` such as "Failing row
 * contains (…)" or "Key (email)=(…)", values quoted in its messages), the
 * raw body a parser error keeps, and the input a JSON syntax error quotes.
 * Those are personal data (emails, names, addresses, user agents) typed by
 * people; an operator diagnoses with the SQLSTATE code, the constraint, the
 * table, the statement text and the request id, which all stay.
 */
export const MASK = '[masqué]';

/** Properties of errors that hold values rather than a description of the failure. */
const WITHHELD = new Set(['parameters', 'detail', 'where', 'internalQuery', 'hint', 'body', 'driverError', 'params', 'values', 'raw']);

const MAX_DEPTH = 4;
const MAX_TEXT = 4000;

/**
 * Masks the values that PostgreSQL, Node and our libraries quote in error
 * texts, keeping the words and the identifiers that say what went wrong.
 */
export function scrubText(text: string): string {
  return (
    text
      // invalid input syntax for type uuid: "…", invalid input value for enum x: "…"
      .replace(/(:\s)"[^\n]*"/g, `$1"${MASK}"`)
      // value "…" is out of range for type integer
      .replace(/\bvalue "[^"\n]*"/g, `value "${MASK}"`)
      // Key (email)=(…) already exists / Failing row contains (…)
      .replace(/\)=\([^\n]*\)/g, `)=(${MASK})`)
      .replace(/\bcontains \([^\n]*\)/g, `contains (${MASK})`)
      // Unexpected token 'x', "{"email":"…"... is not valid JSON
      .replace(/"[^\n]*?"(\.\.\.)? is not valid JSON/g, `"${MASK}" is not valid JSON`)
      .slice(0, MAX_TEXT)
  );
}

/** SQL text keeps its shape; literals written into it (never values of ours, but who knows) are masked. */
function scrubSql(text: string): string {
  return scrubText(text.replace(/'(?:[^']|'')*'/g, `'${MASK}'`));
}

/** An error as a log may show it: type, scrubbed message and stack, scalar facts (SQLSTATE, constraint, table), causes. */
export function redactError(error: Error, depth = 0): Record<string, unknown> {
  const shown: Record<string, unknown> = { type: error.name, message: scrubText(String(error.message)) };
  if (error.stack) shown.stack = scrubText(error.stack);
  for (const [key, value] of Object.entries(error)) {
    if (WITHHELD.has(key) || key in shown) continue;
    if (key === 'query' && typeof value === 'string') shown.query = scrubSql(value);
    else if (typeof value === 'string') shown[key] = scrubText(value);
    else if (typeof value === 'number' || typeof value === 'boolean') shown[key] = value;
    // Objects (responses, bodies, driver errors) are left out: they are where values hide.
  }
  // PostgreSQL's SQLSTATE under its own name: `code` is masked by the logger's paths (OIDC codes).
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && 'severity' in error) shown.sqlState = code;
  const parameters = (error as { parameters?: unknown }).parameters;
  if (Array.isArray(parameters)) shown.parameters = `${MASK} (${parameters.length})`;
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error && depth < MAX_DEPTH) shown.cause = redactError(cause, depth + 1);
  return shown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * A log argument made safe: errors (anywhere in plain objects) redacted,
 * strings scrubbed. Other objects (the request and response, which the
 * logger's serializers reduce to a few fields) are left to those serializers.
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value instanceof Error) return redactError(value, depth);
  if (Array.isArray(value)) return depth < MAX_DEPTH ? value.map((v) => redactValue(v, depth + 1)) : '[…]';
  if (!isPlainObject(value)) return value;
  if (depth >= MAX_DEPTH) return '[…]';
  const shown: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    shown[key] = key === 'parameters' ? MASK : redactValue(inner, depth + 1);
  }
  return shown;
}

/** The arguments of one pino call made safe; an error given first becomes `{ err }` as pino would log it. */
export function redactLogArguments(args: readonly unknown[]): unknown[] {
  const [first, ...rest] = args;
  if (first instanceof Error) {
    const err = redactError(first);
    return [{ err }, ...(rest.length > 0 ? rest.map((r) => redactValue(r)) : [err.message])];
  }
  return args.map((a) => redactValue(a));
}

/** pino's hook on every log call, before serializers and `redact` paths run. */
export const LOG_REDACTION_HOOKS = {
  logMethod(this: Logger, args: Parameters<LogFn>, method: LogFn): void {
    (method as (...a: unknown[]) => void).apply(this, redactLogArguments(args));
  },
};

/** The logger's parameters writing to `destination` instead of standard output (tests read their real log lines). */
export function withLogDestination(params: Params, destination?: DestinationStream): Params {
  if (!destination) return params;
  const given = params.pinoHttp;
  const options = Array.isArray(given) ? given[0] : given !== undefined && !isStream(given) ? given : undefined;
  return { ...params, pinoHttp: [options ?? {}, destination] };
}

function isStream(value: object): value is DestinationStream {
  return typeof (value as { write?: unknown }).write === 'function';
}
