import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

import type { Role } from './roles.js';

/** An aidant's place in a structure, with the roles held there. */
@Entity('memberships')
export class Membership {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'aidant_id' })
  aidantId: string;

  @Column('uuid', { name: 'structure_id' })
  structureId: string;

  /** `aidant` may open and use mandates; `referent` supervises the structure. At least one. */
  @Column('text', { array: true })
  roles: Role[];

  /** Set by a référent: the aidant may not act in this structure until reactivated. */
  @Column('timestamptz', { name: 'suspended_at', nullable: true })
  suspendedAt: Date | null;

  @Column('timestamptz', { name: 'last_signed_in_at', nullable: true })
  lastSignedInAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
