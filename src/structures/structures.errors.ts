import { DomainError } from '../shared/domain-error.js';

export class SiretTakenError extends DomainError {
  readonly code = 'structure.siret_taken';
  readonly status = 409;
  readonly title = 'Structure déjà enregistrée';
}
