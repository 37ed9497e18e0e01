import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Duration } from './mandate-status.js';

export type RevokerType = 'aidant' | 'referent' | 'usager' | 'system';

/** A usager's mandate to a structure (migration 1764500000000 holds the rules). */
@Entity('mandates')
export class Mandate {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'structure_id' })
  structureId: string;

  @Column('uuid', { name: 'usager_id' })
  usagerId: string;

  /** The aidant who opened it; any habilitated aidant of the structure may use it. */
  @Column('uuid', { name: 'opened_by' })
  openedBy: string;

  @Column('uuid', { name: 'consent_id' })
  consentId: string;

  @Column('uuid', { name: 'renewed_from', nullable: true })
  renewedFrom: string | null;

  @Column('text')
  duration: Duration;

  /** Database time of creation. */
  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  /** created_at + the duration (checked by the database). */
  @Column('timestamptz', { name: 'expires_at' })
  expiresAt: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;

  @Column('text', { name: 'revoked_by_type', nullable: true })
  revokedByType: RevokerType | null;

  @Column('uuid', { name: 'revoked_by_id', nullable: true })
  revokedById: string | null;

  @Column('text', { name: 'revocation_reason', nullable: true })
  revocationReason: string | null;

  @Column('timestamptz', { name: 'expiry_journaled_at', nullable: true })
  expiryJournaledAt: Date | null;
}
