import { DomainError } from '../shared/domain-error.js';

/**
 * Every way a FranceConnect round trip can fail, each with a stable code.
 * The library error (openid-client, fetch) is kept as `cause` for the log;
 * the person only ever sees the French message.
 */
export abstract class FranceConnectError extends DomainError {}

/** The usager cancelled at FranceConnect (`error=access_denied`). */
export class FranceConnectAccessDeniedError extends FranceConnectError {
  readonly code = 'franceconnect.access_denied';
  readonly status = 403;
  readonly title = 'Connexion FranceConnect annulée';
  constructor(logMessage = 'FranceConnect answered access_denied', options?: { cause?: unknown }) {
    super(
      "La connexion avec FranceConnect a été annulée : rien n'a été enregistré. Vous pouvez recommencer.",
      logMessage,
      options,
    );
  }
}

/** FranceConnect answered another OAuth error in the redirect (`error=…`). */
export class FranceConnectProviderError extends FranceConnectError {
  readonly code = 'franceconnect.provider_error';
  readonly status = 502;
  readonly title = 'Erreur FranceConnect';
  constructor(readonly oauthError: string, options?: { cause?: unknown }) {
    super(
      "FranceConnect a refusé la demande de connexion. Rien n'a été enregistré : recommencez dans quelques instants.",
      `FranceConnect answered error=${oauthError.slice(0, 64)}`,
      options,
    );
  }
}

/** The returned `state` is not the one this browser's pending request expects (forged, replayed or stale). */
export class FranceConnectStateMismatchError extends FranceConnectError {
  readonly code = 'franceconnect.state_mismatch';
  readonly status = 400;
  readonly title = 'Retour de FranceConnect inattendu';
  constructor(logMessage = 'state returned by FranceConnect does not match the expected one', options?: { cause?: unknown }) {
    super(
      "Ce retour de FranceConnect ne correspond à aucune demande en cours dans ce navigateur (lien déjà utilisé ou expiré). Rien n'a été enregistré : recommencez depuis le début.",
      logMessage,
      options,
    );
  }
}

/** The code exchange or the ID token failed a check (signature, algorithm, iss, aud, exp, nonce, acr). */
export class FranceConnectTokenInvalidError extends FranceConnectError {
  readonly code = 'franceconnect.token_invalid';
  readonly status = 502;
  readonly title = 'Réponse FranceConnect refusée';
  constructor(logMessage: string, options?: { cause?: unknown }) {
    super(
      "La réponse de FranceConnect n'a pas pu être vérifiée. Par sécurité, rien n'a été enregistré : recommencez la connexion.",
      logMessage,
      options,
    );
  }
}

/** The userinfo response failed a check (signature, subject, content type). */
export class FranceConnectUserinfoInvalidError extends FranceConnectError {
  readonly code = 'franceconnect.userinfo_invalid';
  readonly status = 502;
  readonly title = 'Réponse FranceConnect refusée';
  constructor(logMessage: string, options?: { cause?: unknown }) {
    super(
      "Les informations d'identité transmises par FranceConnect n'ont pas pu être vérifiées. Rien n'a été enregistré : recommencez la connexion.",
      logMessage,
      options,
    );
  }
}

/** The identity claims are missing or malformed; `claims` names them (never their values). */
export class FranceConnectClaimsInvalidError extends FranceConnectError {
  readonly code = 'franceconnect.claims_invalid';
  readonly status = 502;
  readonly title = 'Identité FranceConnect incomplète';
  constructor(readonly claims: readonly string[]) {
    super(
      "L'identité transmise par FranceConnect est incomplète ou incorrecte. Rien n'a été enregistré : la personne doit vérifier son compte auprès de son fournisseur d'identité.",
      `invalid identity claims: ${claims.join(', ')}`,
    );
  }
}

/** FranceConnect cannot be reached or answered with a server error. */
export class FranceConnectUnavailableError extends FranceConnectError {
  readonly code = 'franceconnect.unavailable';
  readonly status = 503;
  readonly title = 'FranceConnect indisponible';
  constructor(logMessage: string, options?: { cause?: unknown }) {
    super(
      "FranceConnect ne répond pas pour le moment. Rien n'a été enregistré : réessayez dans quelques minutes.",
      logMessage,
      options,
    );
  }
}

/** The round trip took longer than the transaction's life (10 minutes). */
export class FranceConnectTransactionExpiredError extends FranceConnectError {
  readonly code = 'franceconnect.expired';
  readonly status = 400;
  readonly title = 'Connexion FranceConnect expirée';
  constructor(logMessage = 'FranceConnect transaction expired') {
    super(
      "Le retour de FranceConnect est arrivé trop tard (plus de 10 minutes après la demande). Rien n'a été enregistré : recommencez depuis le début.",
      logMessage,
    );
  }
}
