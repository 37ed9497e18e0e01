import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/config.js';
import { LOG_REDACTION_HOOKS, redactError } from './logging-redaction.js';

/**
 * An incoming X-Request-Id (a proxy's or a partner's correlation id) is kept
 * only when it is a short token of safe characters: it lands in every log
 * line, journal entry and error page of the request.
 */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/**
 * Paths removed from every log line: credentials, session cookies, one-time
 * codes and anything a form might carry about a person.
 */
export const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'req.body',
  '*.password',
  '*.totp',
  '*.code',
  '*.client_secret',
  '*.id_token',
  '*.access_token',
  '*.sessionSecret',
];

/**
 * A path as a log line may show it. The remote consent link carries its
 * secret in the path (`/consentement/<token>`, a bearer credential for 24
 * hours): it is masked, as the query strings are dropped. The fixed pages
 * under `/consentement/demande` stay readable.
 */
export function loggablePath(path: string): string {
  return path.replace(/^\/consentement\/(?!demande(?:\/|$))[^/]+/, '/consentement/[masqué]');
}

/** Structured JSON logs, one line per request, with its request id. */
export function loggerParams(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      genReqId: requestIdOf,
      redact: { paths: REDACTED_PATHS, censor: '[masqué]' },
      // No values of database errors or parsers in any line (see logging-redaction.ts).
      hooks: LOG_REDACTION_HOOKS,
      // Query strings can carry OIDC codes and states: log the path only.
      serializers: {
        err: (error: unknown) => (error instanceof Error ? redactError(error) : error),
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: loggablePath(req.url.split('?')[0] ?? ''),
        }),
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
      autoLogging: { ignore: (req) => req.url === '/health' },
    },
  };
}
