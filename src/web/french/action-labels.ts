/**
 * The name of each journal action as a person reads it: the structure's
 * journal (its list and its filter), the usager's journal and the mandate
 * page all show these, never the codes. The supervision module checks that
 * every action of the journal's catalogue has one (`action-labels.spec.ts`
 * there); a code without a label is shown as "Autre action".
 */
export const ACTION_LABELS: Readonly<Record<string, string>> = {
  'aidant.signed_in': 'Ouverture de session d’un aidant',
  'aidant.sign_in_failed': 'Connexion d’un aidant refusée',
  'aidant.locked': 'Connexion bloquée',
  'aidant.signed_out': 'Fin de session d’un aidant',
  'aidant.structure_switched': 'Changement de structure courante',
  'aidant.totp_reauthenticated': 'Identité de l’aidant confirmée par un code',
  'aidant.totp_reauthentication_failed': 'Code de confirmation refusé',
  'aidant.invited': 'Aidant invité',
  'aidant.membership_accepted': 'Invitation acceptée',
  'aidant.membership_declined': 'Invitation refusée',
  'aidant.activated': 'Compte d’aidant activé',
  'aidant.habilitation_changed': 'Habilitation modifiée',
  'aidant.suspended': 'Aidant suspendu',
  'aidant.reactivated': 'Aidant réactivé',
  'aidant.role_changed': 'Rôles modifiés',
  'aidant.password_changed': 'Mot de passe changé',
  'aidant.password_change_failed': 'Changement de mot de passe refusé',
  'aidant.sessions_ended': 'Sessions terminées',
  'totp_card.registered': 'Carte à code enregistrée',
  'totp_card.resynchronised': 'Carte à code resynchronisée',
  'totp_card.revoked': 'Carte à code désactivée',
  'structure.created': 'Structure créée',
  'structure.demarches_restricted': 'Démarches de la structure limitées',
  'structure.status_changed': 'Structure ouverte ou fermée',
  'franceconnect.consent_started': 'Identification FranceConnect lancée',
  'franceconnect.consent_verified': 'Identification FranceConnect réussie',
  'franceconnect.failed': 'Identification FranceConnect échouée',
  'usager.created': 'Usager enregistré',
  'usager.signed_in': 'Ouverture de session d’un usager',
  'usager.signed_out': 'Fin de session d’un usager',
  'usager.identity_updated': 'Identité mise à jour',
  'mandate.started': 'Mandat commencé',
  'mandate.created': 'Mandat créé',
  'mandate.renewed': 'Mandat renouvelé',
  'mandate.revoked': 'Mandat révoqué',
  'mandate.expired': 'Mandat arrivé à échéance',
  'autorisation.created': 'Démarche autorisée',
  'autorisation.superseded': 'Démarche remplacée par un mandat plus récent',
  'autorisation.revoked': 'Démarche révoquée',
  'autorisation.used': 'Mandat utilisé sur un service en ligne',
  'attestation.issued': 'Attestation établie',
  'attestation.verified': 'Attestation vérifiée',
  'journal.exported': 'Journal exporté',
  'journal.verified': 'Intégrité du journal vérifiée',
  'journal.witness_refused': 'Point de contrôle refusé par un témoin',
  'keys.rotated': 'Clé de signature renouvelée',
  'partner.registered': 'Service partenaire enregistré',
  'partner.disabled': 'Service partenaire désactivé',
  'partner.secret_rotated': 'Secret d’un service partenaire renouvelé',
  'partner.userinfo_served': 'Informations transmises au service en ligne',
  'partner.access_refused': 'Accès à un service en ligne refusé',
  'partner.sign_in_ended': 'Connexion à un service en ligne terminée',
  'notice.queued': 'Message à la personne mis en file d’envoi',
  'notice.sent': 'Message envoyé',
  'notice.failed': 'Message refusé par la messagerie',
  'notice_address.confirmed': 'Adresse pour être prévenu confirmée',
};

export function actionLabel(action: string): string {
  return Object.hasOwn(ACTION_LABELS, action) ? ACTION_LABELS[action]! : 'Autre action';
}
