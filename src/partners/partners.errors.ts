import { DomainError } from '../shared/domain-error.js';

/** An operator command names a partner that does not exist. */
export class PartnerNotFoundError extends DomainError {
  readonly code = 'partner.not_found';
  readonly status = 404;
  readonly title = 'Service partenaire introuvable';
  constructor(clientId: string) {
    super(`Aucun service partenaire n’a l’identifiant « ${clientId} ».`, 'partner not found');
  }
}

/** The client id is taken. */
export class PartnerExistsError extends DomainError {
  readonly code = 'partner.exists';
  readonly status = 409;
  readonly title = 'Service partenaire déjà enregistré';
  constructor(clientId: string) {
    super(`Un service partenaire a déjà l’identifiant « ${clientId} ».`, 'partner client id taken');
  }
}

/** The partner authenticates with keys: it has no secret to rotate. */
export class PartnerHasNoSecretError extends DomainError {
  readonly code = 'partner.no_secret';
  readonly status = 400;
  readonly title = 'Pas de secret';
  constructor() {
    super('Ce service partenaire s’authentifie par clé (private_key_jwt) : il n’a pas de secret.', 'partner uses private_key_jwt');
  }
}
