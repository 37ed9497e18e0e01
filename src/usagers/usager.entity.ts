import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Gender } from '../franceconnect/franceconnect.types.js';

/** A person who gave or may give mandates: the identity FranceConnect reports. */
@Entity('usagers')
export class Usager {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** HMAC-SHA-256 (hex) of the FranceConnect pairwise `sub` under FC_SUB_KEY; unique. Never the `sub`. */
  @Column('char', { name: 'fc_sub_hash', length: 64 })
  fcSubHash: string;

  /** `given_name`: every given name, space-separated. */
  @Column('text', { name: 'given_name' })
  givenName: string;

  /** `family_name`: the birth name. */
  @Column('text', { name: 'family_name' })
  familyName: string;

  /** `preferred_username`: the nom d'usage, when there is one. */
  @Column('text', { name: 'preferred_username', nullable: true })
  preferredUsername: string | null;

  /** `birthdate`, `YYYY-MM-DD`. */
  @Column('date')
  birthdate: string;

  @Column('text')
  gender: Gender;

  /** `birthplace`: INSEE commune code; empty when born abroad. */
  @Column('text')
  birthplace: string;

  /** `birthcountry`: INSEE country code, `99100` for France. */
  @Column('text')
  birthcountry: string;

  @Column('text', { nullable: true })
  email: string | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;
}
