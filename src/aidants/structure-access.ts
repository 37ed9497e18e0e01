import { NotFoundError } from '../shared/domain-error.js';
import type { AidantActor } from './aidant-actor.js';

/**
 * The one access check of structure pages: the actor must be a référent of
 * that structure, acting in it. Anything else gets the same not-found error
 * as a structure that does not exist, so ids of other structures leak nothing.
 */
export function requireStructureAccess(actor: AidantActor, structureId: string): void {
  if (actor.structureId !== structureId || !actor.isReferent) {
    throw new NotFoundError('Cette page n’existe pas ou ne concerne pas votre structure.', 'structure access refused');
  }
}
