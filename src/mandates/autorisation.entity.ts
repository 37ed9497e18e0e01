import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type ClosingReason = 'revoked' | 'superseded' | 'lapsed' | 'mandate_revoked';

/** One démarche of a mandate, revocable on its own. */
@Entity('autorisations')
export class Autorisation {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'mandate_id' })
  mandateId: string;

  /** Copied from the mandate (a composite foreign key keeps them equal) for the one-open index. */
  @Column('uuid', { name: 'structure_id' })
  structureId: string;

  @Column('uuid', { name: 'usager_id' })
  usagerId: string;

  /** A catalogue id (checked by the database). */
  @Column('text')
  demarche: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  /** When it was closed (revoked, superseded, or closed after it had lapsed). */
  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;

  @Column('text', { name: 'revocation_reason', nullable: true })
  revocationReason: ClosingReason | null;

  @Column('uuid', { name: 'superseded_by', nullable: true })
  supersededBy: string | null;
}
