import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { FranceConnectIntent } from './franceconnect.types.js';

/** One FranceConnect round trip, from `start` to the callback that consumes it (single use, ≤ 10 min). */
@Entity('franceconnect_transactions')
export class FranceConnectTransaction {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** SHA-256 (hex) of the `state` sent; looked up by hash, never stored in clear. */
  @Column('char', { name: 'state_hash', length: 64 })
  stateHash: string;

  /** The `nonce` sent: the ID token must carry it back. */
  @Column('text')
  nonce: string;

  /** PKCE verifier, only when FC_PKCE is on. */
  @Column('text', { name: 'code_verifier', nullable: true })
  codeVerifier: string | null;

  @Column('text')
  intent: FranceConnectIntent;

  /** SHA-256 (hex) of the browser session's FranceConnect binding. */
  @Column('char', { name: 'session_binding', length: 64 })
  sessionBinding: string;

  /** Journal chain of the round trip (null: national). */
  @Column('uuid', { name: 'structure_id', nullable: true })
  structureId: string | null;

  @Column('jsonb')
  payload: Record<string, unknown>;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  /** At most 10 minutes after `createdAt` (a database check says so too). */
  @Column('timestamptz', { name: 'expires_at' })
  expiresAt: Date;

  /** Set once by the callback that consumed it. */
  @Column('timestamptz', { name: 'used_at', nullable: true })
  usedAt: Date | null;
}
