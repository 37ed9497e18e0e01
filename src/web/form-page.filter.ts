import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, ValidationError } from '../shared/domain-error.js';
import { logProblem, sendProblem, toProblem, wantsJson } from './error-page.filter.js';

/** The page's data; null when the page itself could not be read (the error page is shown). */
export type FormModel = (req: Request) => Record<string, unknown> | null | Promise<Record<string, unknown> | null>;

/**
 * Re-renders a form page when its POST fails with an error the person can
 * fix: the same template, the values typed (never secrets: the model picks
 * them), `errors` bound to fields (DSFR error messages) and `error` for the
 * whole form, with the error's status. Other errors and API clients get the
 * usual error page or problem document.
 *
 *   @UseFilters(new FormPageFilter('aidants/views/connexion.njk', (req) => ({ values: { email: … } })))
 */
@Catch()
export class FormPageFilter implements ExceptionFilter {
  private readonly logger = new Logger('Forms');

  constructor(
    private readonly view: string,
    private readonly model: FormModel = () => ({}),
  ) {}

  async catch(error: unknown, host: ArgumentsHost): Promise<void> {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const problem = toProblem(error);
    // A CSRF or input refusal keeps its own page: the form it came from is not trusted,
    // and its values may not be fit to show again.
    const rerender = error instanceof DomainError && problem.status < 500 && problem.code !== 'csrf' && problem.code !== 'input.refused';
    if (!rerender || wantsJson(req) || res.headersSent) {
      logProblem(this.logger, error, problem);
      if (!res.headersSent) sendProblem(req, res, problem);
      return;
    }
    logProblem(this.logger, error, problem, 'form refused');
    let model: Record<string, unknown> | null;
    try {
      model = await this.model(req);
    } catch (modelError) {
      // The page could not be read again: its own refusal (gone, not allowed) if it has one,
      // otherwise what was wrong with the form, never a 500 for the person's mistake.
      if (modelError instanceof DomainError) {
        sendProblem(req, res, toProblem(modelError));
      } else {
        // Expected when the refusal is that nobody (or the wrong person) is signed in; a fault otherwise.
        const level = problem.status === 401 || problem.status === 403 ? 'debug' : 'error';
        this.logger[level]({ err: modelError, code: problem.code }, 'form page could not be read again');
        sendProblem(req, res, problem);
      }
      return;
    }
    if (model === null) {
      sendProblem(req, res, problem);
      return;
    }
    const fields = error instanceof ValidationError ? error.fields : {};
    res.status(problem.status);
    if (problem.retryAfter !== undefined) res.setHeader('Retry-After', String(problem.retryAfter));
    res.render(
      this.view,
      {
        ...model,
        errors: fields,
        error: error instanceof ValidationError ? null : { title: problem.title, detail: problem.detail },
      },
      (renderError, html) => {
        if (renderError) {
          this.logger.error({ err: renderError }, 'form page failed to render');
          sendProblem(req, res, problem);
          return;
        }
        res.type('html').send(html);
      },
    );
  }
}
