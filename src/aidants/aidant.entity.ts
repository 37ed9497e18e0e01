import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

import type { HabilitationStatus } from './roles.js';

@Entity('aidants')
export class Aidant {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Unique, stored lower-cased. */
  @Column('text')
  email: string;

  @Column('text', { name: 'given_name' })
  givenName: string;

  @Column('text', { name: 'family_name' })
  familyName: string;

  @Column('text')
  profession: string;

  @Column('text')
  phone: string;

  /** argon2id PHC string; null until the invitation is accepted. */
  @Column('text', { name: 'password_hash', nullable: true })
  passwordHash: string | null;

  /** Only `habilitated` aidants may sign in; set by operators. */
  @Column('text', { name: 'habilitation_status' })
  habilitationStatus: HabilitationStatus;

  @Column('timestamptz', { name: 'habilitated_at', nullable: true })
  habilitatedAt: Date | null;

  @Column('timestamptz', { name: 'status_changed_at' })
  statusChangedAt: Date;

  /** `operator:<name>`, `aidant:<uuid>` or `system`. */
  @Column('text', { name: 'status_changed_by' })
  statusChangedBy: string;

  @Column('timestamptz', { name: 'activated_at', nullable: true })
  activatedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
