import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The evidence of a usager's consent: FranceConnect authentication at the
 * counter, a renewal of an earlier consent, or FranceConnect authentication
 * on the usager's own device answering a remote consent request.
 */
@Entity('mandate_consents')
export class MandateConsent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  kind: 'franceconnect' | 'renewal' | 'remote';

  /** Id of the wizard or renewal form submitted: a second submission of the same form fails on it. */
  @Column('uuid', { name: 'submission_id' })
  submissionId: string;

  /** FranceConnect `acr` of the ID token (eidas1…). */
  @Column('text', { name: 'fc_acr', nullable: true })
  fcAcr: string | null;

  /** FranceConnect `auth_time`. */
  @Column('timestamptz', { name: 'fc_auth_time', nullable: true })
  fcAuthTime: Date | null;

  /** SHA-256 (base64url) of the ID token; the token itself is never stored. */
  @Column('text', { name: 'id_token_hash', nullable: true })
  idTokenHash: string | null;

  @Column('uuid', { name: 'previous_consent_id', nullable: true })
  previousConsentId: string | null;

  /** Remote consent: the request the usager answered (one consent per request). */
  @Column('uuid', { name: 'consent_request_id', nullable: true })
  consentRequestId: string | null;

  /** Remote consent: how the request reached the usager (a mailed link, or a code read out on the phone). */
  @Column('text', { name: 'remote_channel', nullable: true })
  remoteChannel: 'email' | 'phone' | null;

  /** Remote consent: the FranceConnect round trip (`franceconnect_transactions.id`) the usager consented through. */
  @Column('uuid', { name: 'fc_transaction_id', nullable: true })
  fcTransactionId: string | null;

  @Column('uuid', { name: 'declared_by' })
  declaredBy: string;

  /** When the aidant ticked the declaration (usager present, informed, agrees), or prepared the remote request. */
  @Column('timestamptz', { name: 'declared_at' })
  declaredAt: Date;

  @Column('timestamptz', { name: 'totp_confirmed_at' })
  totpConfirmedAt: Date;
}
