import { NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { describe, expect, it } from '@jest/globals';
import { NotFoundError, ValidationError } from '../shared/domain-error.js';
import { toProblem } from './error-page.filter.js';

describe('toProblem', () => {
  it('keeps a domain error’s code, status and French message', () => {
    const problem = toProblem(new NotFoundError('Ce mandat n’existe pas.', 'mandate 42 not found'));
    expect(problem).toMatchObject({ status: 404, code: 'not_found', detail: 'Ce mandat n’existe pas.' });
  });

  it('carries the fields of a validation error', () => {
    const problem = toProblem(new ValidationError({ email: 'Saisissez une adresse électronique valide.' }));
    expect(problem.status).toBe(400);
    expect(problem.fields).toEqual({ email: 'Saisissez une adresse électronique valide.' });
  });

  it.each([
    [new NotFoundException(), 404, 'Page introuvable'],
    [new PayloadTooLargeException(), 413, 'Envoi trop volumineux'],
    [Object.assign(new Error('entity too large'), { status: 413 }), 413, 'Envoi trop volumineux'],
    [new Error('boom'), 500, 'Erreur technique'],
  ])('maps %p to %i in French', (error, status, title) => {
    const problem = toProblem(error);
    expect(problem.status).toBe(status);
    expect(problem.title).toBe(title);
  });

  it('never shows an internal message to the person', () => {
    expect(toProblem(new Error('password=hunter2 at line 3')).detail).not.toContain('hunter2');
  });
});
