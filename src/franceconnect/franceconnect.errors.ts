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

/** What an OAuth `error` from FranceConnect means for the person, in three families. */
type ProviderErrorKind = 'request_refused' | 'provider_down' | 'sign_in_again' | 'other';

const KIND_OF: Record<string, ProviderErrorKind> = {
  invalid_request: 'request_refused',
  invalid_scope: 'request_refused',
  unauthorized_client: 'request_refused',
  unsupported_response_type: 'request_refused',
  invalid_client: 'request_refused',
  invalid_request_uri: 'request_refused',
  invalid_request_object: 'request_refused',
  request_not_supported: 'request_refused',
  temporarily_unavailable: 'provider_down',
  server_error: 'provider_down',
  login_required: 'sign_in_again',
  consent_required: 'sign_in_again',
  interaction_required: 'sign_in_again',
  account_selection_required: 'sign_in_again',
};

const MEANING: Record<ProviderErrorKind, string> = {
  request_refused:
    "FranceConnect a refusé la demande envoyée par Procuration : la configuration du service est en cause, pas la personne. Prévenez l'équipe qui administre Procuration.",
  provider_down: 'FranceConnect est momentanément indisponible. Réessayez dans quelques minutes.',
  sign_in_again: "FranceConnect demande de s'identifier à nouveau. Recommencez la connexion.",
  other: 'Recommencez dans quelques instants ; si cela se reproduit, prévenez l’équipe qui administre Procuration.',
};

/** The OAuth `error` as it may be shown and journaled: an identifier, never free text. */
export function oauthErrorIdentifier(value: string): string | undefined {
  return /^[a-z_]{1,64}$/.test(value) ? value : undefined;
}

/**
 * FranceConnect answered another OAuth error in the redirect (`error=…`):
 * the page names FranceConnect's answer and what it means. Its
 * `error_description` (free text anyone can put in a link) is never shown.
 */
export class FranceConnectProviderError extends FranceConnectError {
  readonly code = 'franceconnect.provider_error';
  readonly status = 502;
  readonly title = 'FranceConnect a répondu par une erreur';
  constructor(readonly oauthError: string, options?: { cause?: unknown }) {
    const shown = oauthErrorIdentifier(oauthError);
    const kind = (shown && KIND_OF[shown]) || 'other';
    super(
      `FranceConnect a répondu « ${shown ?? 'non reconnue'} ». ${MEANING[kind]} Rien n'a été enregistré.`,
      `FranceConnect answered error=${shown ?? 'unrecognised'}`,
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
