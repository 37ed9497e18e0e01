import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isConnectionLost } from '../database/connection-loss.js';
import { DatabaseUnavailableError } from '../database/database.errors.js';
import { DomainError, ValidationError } from '../shared/domain-error.js';

/** What a person is told for a failure, whichever layer raised it. */
export interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
  fields?: Readonly<Record<string, string>>;
  /** Seconds before asking again (429), sent as `Retry-After`. */
  retryAfter?: number;
  /** A local page where the person can try again. */
  retryPath?: string;
}

/** French wording for errors raised outside our services (router, body parser, guards). */
const GENERIC: Record<number, { code: string; title: string; detail: string }> = {
  400: { code: 'bad_request', title: 'Demande invalide', detail: 'La demande envoyée est incorrecte ou incomplète.' },
  401: { code: 'unauthenticated', title: 'Connexion requise', detail: 'Vous devez vous connecter pour accéder à cette page.' },
  403: { code: 'forbidden', title: 'Accès refusé', detail: "Vous n'avez pas le droit d'accéder à cette page." },
  404: { code: 'not_found', title: 'Page introuvable', detail: "La page demandée n'existe pas ou a été déplacée." },
  405: { code: 'method_not_allowed', title: 'Action impossible', detail: "Cette action n'est pas possible à cette adresse." },
  413: { code: 'payload_too_large', title: 'Envoi trop volumineux', detail: 'Les données envoyées dépassent la taille autorisée.' },
  415: { code: 'unsupported_media_type', title: 'Format non pris en charge', detail: "Le format des données envoyées n'est pas pris en charge." },
  429: { code: 'too_many_requests', title: 'Trop de tentatives', detail: 'Trop de demandes en peu de temps. Patientez quelques minutes avant de réessayer.' },
  500: { code: 'internal', title: 'Erreur technique', detail: "Une erreur inattendue s'est produite. Réessayez dans quelques instants." },
  503: { code: 'unavailable', title: 'Service indisponible', detail: 'Le service est momentanément indisponible. Réessayez dans quelques instants.' },
};

function statusOf(error: unknown): number {
  if (error instanceof HttpException) return error.getStatus();
  // body-parser and other Express middleware errors carry `status`.
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

/** Turns any error into the problem a person is shown. */
export function toProblem(error: unknown, method = 'GET'): Problem {
  // A lost database connection that no retry absorbed is a temporary
  // failure, not a bug: 503. After a form post, whether it was kept is unknown.
  if (!(error instanceof DomainError) && isConnectionLost(error)) {
    return toProblem(new DatabaseUnavailableError(method !== 'GET' && method !== 'HEAD', { cause: error }));
  }
  if (error instanceof DomainError) {
    const fields = error instanceof ValidationError ? error.fields : undefined;
    const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    return {
      status: error.status,
      code: error.code,
      title: error.title,
      detail: error.userMessage,
      fields,
      ...(typeof retryAfter === 'number' ? { retryAfter } : {}),
      ...(error.retryPath && /^\/(?![/\\])/.test(error.retryPath) ? { retryPath: error.retryPath } : {}),
    };
  }
  const status = statusOf(error);
  const generic = GENERIC[status] ?? (status < 500 ? GENERIC[400] : GENERIC[500]);
  return { status, ...generic };
}

/**
 * The one exception filter: French HTML pages for browsers, RFC 9457 problem
 * documents for API clients (`Accept: application/json`), the request id in
 * both so a person can quote it to support.
 */
@Catch()
export class ErrorPageFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(error: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<Request>();
    const response = host.switchToHttp().getResponse<Response>();
    const problem = toProblem(error, request.method);
    this.log(error, problem);
    if (response.headersSent) return;
    sendProblem(request, response, problem);
  }

  private log(error: unknown, problem: Problem): void {
    logProblem(this.logger, error, problem);
  }
}

/**
 * How every filter logs what it answered: failures as errors; refusals by a
 * security control (ASVS 16.3.3) as warnings an operator can alert on, with
 * the code only (the reason may name what was sent); other refusals (a form
 * filled wrongly) at debug level.
 */
export function logProblem(logger: Logger, error: unknown, problem: Problem, refusedMessage = 'request refused'): void {
  if (problem.status >= 500) {
    logger.error({ err: error, code: problem.code }, 'request failed');
  } else if (refusedByControl(problem)) {
    logger.warn({ code: problem.code, status: problem.status }, 'request refused by a security control');
  } else {
    logger.debug({ code: problem.code, reason: (error as Error)?.message }, refusedMessage);
  }
}

/** Refusals by authentication, authorization, CSRF, input checks or throttles. */
function refusedByControl(problem: Problem): boolean {
  return [401, 403, 429].includes(problem.status) || problem.code === 'csrf' || problem.code === 'input.refused';
}

export function wantsJson(request: Request): boolean {
  const preferred = request.accepts(['text/html', 'application/json', 'application/problem+json']);
  return preferred === 'application/json' || preferred === 'application/problem+json';
}

export function sendProblem(request: Request, response: Response, problem: Problem): void {
  const requestId = String(request.id ?? '');
  response.status(problem.status);
  if (problem.retryAfter !== undefined) response.setHeader('Retry-After', String(problem.retryAfter));
  if (wantsJson(request)) {
    response.type('application/problem+json').send(
      JSON.stringify({
        type: `urn:procuration:problem:${problem.code}`,
        title: problem.title,
        status: problem.status,
        detail: problem.detail,
        instance: request.originalUrl.split('?')[0],
        requestId,
        ...(problem.fields ? { errors: problem.fields } : {}),
      }),
    );
    return;
  }
  const signInLink = signInLinkFor(request, problem);
  response.render('web/views/error.njk', { problem, requestId, pageTitle: problem.title, signInLink }, (renderError, html) => {
    if (renderError) {
      response.type('text/plain; charset=utf-8').send(`${problem.title}. ${problem.detail} (${requestId})`);
      return;
    }
    response.type('html').send(html);
  });
}

/**
 * A page of the aidants' or référents' side asked for without a session:
 * the 401 page offers the sign-in, which then comes back to that page.
 */
function signInLinkFor(request: Request, problem: Problem): string | null {
  if (problem.status !== 401 || request.method !== 'GET') return null;
  if (!/^\/(aidant|structure)(\/|$)/.test(request.path) || request.path === '/aidant/connexion') return null;
  return `/aidant/connexion?suite=${encodeURIComponent(request.originalUrl)}`;
}
