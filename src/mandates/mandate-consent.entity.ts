import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The evidence of a usager's consent: FranceConnect authentication, or a renewal of an earlier consent. */
@Entity('mandate_consents')
export class MandateConsent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  kind: 'franceconnect' | 'renewal';

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

  @Column('uuid', { name: 'declared_by' })
  declaredBy: string;

  /** When the aidant ticked the declaration (usager present, informed, agrees). */
  @Column('timestamptz', { name: 'declared_at' })
  declaredAt: Date;

  @Column('timestamptz', { name: 'totp_confirmed_at' })
  totpConfirmedAt: Date;
}
