import { DomainError } from '../shared/domain-error.js';

/** The interaction cookie is missing, or the interaction expired or was already finished. */
export class InteractionExpiredError extends DomainError {
  readonly code = 'provider.interaction_expired';
  readonly status = 400;
  readonly title = 'Connexion expirée';
  constructor(cause?: unknown) {
    super(
      'Cette demande de connexion a expiré (10 minutes) ou a déjà été traitée. Retournez sur le service partenaire et recommencez.',
      'interaction not found or expired',
      { cause },
    );
  }
}

/** The chosen usager or démarche does not qualify (not served, no live autorisation, tampered form). */
export class ChoiceNotAllowedError extends DomainError {
  readonly code = 'provider.choice_not_allowed';
  readonly status = 409;
  readonly title = 'Choix impossible';
  constructor(
    readonly reason: 'no_live_mandate' | 'demarche_not_served' | 'rep_scope_not_covered' | 'not_allowed_to_act',
    userMessage: string,
  ) {
    super(userMessage, `interaction choice refused (${reason})`);
  }
}

/** A post to "sign out of Procuration too" without the logout page's token (forged, replayed or expired). */
export class LogoutExpiredError extends DomainError {
  readonly code = 'provider.logout_expired';
  readonly status = 400;
  readonly title = 'Déconnexion expirée';
  constructor() {
    super(
      'Cette demande de déconnexion a expiré ou ne provient pas de la page de déconnexion de Procuration. Vous n’avez pas été déconnecté : retournez sur le service partenaire et recommencez.',
      'logout form without a matching provider logout state',
    );
  }
}
