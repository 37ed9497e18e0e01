import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { DemarcheId } from '../demarches/demarches.js';

export const STRUCTURE_TYPES = {
  mairie: 'Mairie',
  france_services: 'France Services',
  ccas: 'CCAS',
  mediatheque: 'Médiathèque',
  association: 'Association',
  autre: 'Autre',
} as const;
export type StructureType = keyof typeof STRUCTURE_TYPES;

@Entity('structures')
export class Structure {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  /** 14 digits, Luhn-checked, unique. */
  @Column('char', { length: 14 })
  siret: string;

  @Column('text')
  type: StructureType;

  @Column('text')
  address: string;

  /** Only aidants of an active structure may sign in and act. */
  @Column('boolean')
  active: boolean;

  /** Démarches its aidants may offer: a subset of the catalogue (all ten by default). */
  @Column('text', { array: true, name: 'allowed_demarches' })
  allowedDemarches: DemarcheId[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
