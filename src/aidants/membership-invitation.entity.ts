import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from './roles.js';

export type MembershipAnswer = 'accepted' | 'declined' | 'replaced';

/** A structure's offer to an existing account, pending until its owner answers (72 h). */
@Entity('membership_invitations')
export class MembershipInvitation {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'aidant_id' })
  aidantId: string;

  @Column('uuid', { name: 'structure_id' })
  structureId: string;

  @Column('text', { array: true })
  roles: Role[];

  /** SHA-256 (hex) of the token; the token itself is only in the mailed link. */
  @Column('text', { name: 'token_hash' })
  tokenHash: string;

  @Column('uuid', { name: 'invited_by', nullable: true })
  invitedBy: string | null;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt: Date;

  @Column('timestamptz', { name: 'answered_at', nullable: true })
  answeredAt: Date | null;

  @Column('text', { nullable: true })
  answer: MembershipAnswer | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
