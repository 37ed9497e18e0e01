import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Failed sign-ins counted per account (hashed email) and per IP address, and failed fresh codes per aidant. */
@Entity('sign_in_throttles')
export class SignInThrottle {
  /** `email:<sha-256>`, `ip:<address>` or `totp:<aidant id>` (fresh codes for sensitive actions). */
  @PrimaryColumn('text')
  key: string;

  @Column('integer')
  failures: number;

  @Column('timestamptz', { name: 'first_failure_at' })
  firstFailureAt: Date;

  @Column('timestamptz', { name: 'locked_until', nullable: true })
  lockedUntil: Date | null;
}
