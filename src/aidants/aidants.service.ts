import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { Clock } from '../clock/clock.js';
import { preparedStatement, runPrepared } from '../database/prepared-statement.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { endSessionsOf } from '../sessions/session-registry.js';
import { NotFoundError, ValidationError } from '../shared/domain-error.js';
import type { Actor } from '../structures/actor.js';
import { isUuid, StructuresService, type StructureView } from '../structures/structures.service.js';
import { Aidant } from './aidant.entity.js';
import { EmailTakenError, LastReferentError } from './aidants.errors.js';
import { isEmail } from '../web/form-input.js';
import { Membership } from './membership.entity.js';
import { ROLES, type HabilitationStatus, type Role } from './roles.js';

export interface NewAidant {
  email: string;
  givenName: string;
  familyName: string;
  profession?: string;
  phone?: string;
}

export interface MembershipView {
  structure: StructureView;
  roles: Role[];
  suspended: boolean;
}

/** What the aidant guard re-reads on every request: the account and its memberships. */
/** A member of a structure as the référent pages list it (no account secrets, no entity). */
export interface MemberSummary {
  id: string;
  givenName: string;
  familyName: string;
  habilitationStatus: HabilitationStatus;
  suspendedAt: Date | null;
  lastSignedInAt: Date | null;
}

export interface AidantAccess {
  aidant: { id: string; givenName: string; familyName: string; habilitationStatus: HabilitationStatus };
  memberships: MembershipView[];
}

/** The account and its memberships in one statement (every aidant page asks: see AidantsService.accessOf). */
const ACCESS = preparedStatement(
  'aidant_access',
  `SELECT a.id, a.given_name, a.family_name, a.habilitation_status, m.structure_id, m.roles, m.suspended_at
     FROM aidants a LEFT JOIN memberships m ON m.aidant_id = a.id
    WHERE a.id = $1
    ORDER BY m.created_at`,
);

interface AccessRow {
  id: string;
  given_name: string;
  family_name: string;
  habilitation_status: HabilitationStatus;
  structure_id: string | null;
  roles: Role[] | null;
  suspended_at: Date | null;
}

/** Allowed habilitation transitions (operators): revoked is final. */
const TRANSITIONS: Record<HabilitationStatus, HabilitationStatus[]> = {
  requested: ['habilitated', 'revoked'],
  habilitated: ['suspended', 'revoked'],
  suspended: ['habilitated', 'revoked'],
  revoked: [],
};

export function actorLabel(actor: Actor): string {
  return actor.id ? `${actor.type}:${actor.id}` : actor.type;
}

/** Accounts, habilitation and memberships. Every change is journaled in the caller's transaction. */
@Injectable()
export class AidantsService {
  constructor(
    private readonly journal: JournalService,
    private readonly structures: StructuresService,
    private readonly clock: Clock,
  ) {}

  async findByEmail(manager: EntityManager, email: string): Promise<Aidant | null> {
    return manager.findOneBy(Aidant, { email: email.trim().toLowerCase() });
  }

  async findById(manager: EntityManager, id: string): Promise<Aidant | null> {
    return isUuid(id) ? manager.findOneBy(Aidant, { id }) : null;
  }

  async getById(manager: EntityManager, id: string): Promise<Aidant> {
    const aidant = await this.findById(manager, id);
    if (!aidant) throw new NotFoundError('Cet aidant n’existe pas.', `aidant ${id} not found`);
    return aidant;
  }

  /** Creates an account with status `requested` and no password (the invitation sets it). */
  async create(manager: EntityManager, input: NewAidant, actor: Actor): Promise<Aidant> {
    const email = input.email.trim().toLowerCase();
    const fields: Record<string, string> = {};
    if (!isEmail(email)) fields.email = 'Saisissez une adresse électronique valide, par exemple prenom.nom@exemple.fr.';
    const givenName = input.givenName.trim();
    const familyName = input.familyName.trim();
    if (givenName.length < 1 || givenName.length > 100) fields.givenName = 'Le prénom doit contenir entre 1 et 100 caractères.';
    if (familyName.length < 1 || familyName.length > 100) fields.familyName = 'Le nom doit contenir entre 1 et 100 caractères.';
    const profession = (input.profession ?? '').trim();
    const phone = (input.phone ?? '').trim();
    if (profession.length > 100) fields.profession = 'La profession doit contenir au plus 100 caractères.';
    if (!/^[0-9 +().-]{0,30}$/.test(phone)) fields.phone = 'Le numéro de téléphone ne peut contenir que des chiffres, espaces, +, points et tirets (30 au plus).';
    if (Object.keys(fields).length > 0) throw new ValidationError(fields);
    if (await manager.existsBy(Aidant, { email })) {
      throw new EmailTakenError('Un compte existe déjà avec cette adresse électronique.', 'aidant email taken');
    }
    return manager.save(
      manager.create(Aidant, {
        email,
        givenName,
        familyName,
        profession,
        phone,
        passwordHash: null,
        habilitationStatus: 'requested',
        habilitatedAt: null,
        statusChangedAt: this.clock.now(),
        statusChangedBy: actorLabel(actor),
        activatedAt: null,
      }),
    );
  }

  /** Adds the aidant to a structure with these roles (no journal: the caller's use case records it). */
  async addMembership(manager: EntityManager, aidantId: string, structureId: string, roles: readonly Role[]) {
    const valid = roles.length > 0 && roles.every((r) => (ROLES as readonly string[]).includes(r));
    if (!valid) throw new ValidationError({ roles: 'Choisissez au moins un rôle : aidant, référent.' });
    const existing = await manager.findOneBy(Membership, { aidantId, structureId });
    if (existing) {
      const merged = ROLES.filter((r) => existing.roles.includes(r) || roles.includes(r));
      await manager.update(Membership, { id: existing.id }, { roles: merged });
      return { ...existing, roles: merged };
    }
    return manager.save(manager.create(Membership, { aidantId, structureId, roles: ROLES.filter((r) => roles.includes(r)) }));
  }

  async membership(manager: EntityManager, aidantId: string, structureId: string): Promise<Membership | null> {
    if (!isUuid(aidantId) || !isUuid(structureId)) return null;
    return manager.findOneBy(Membership, { aidantId, structureId });
  }

  /** The aidant's memberships with their structures, oldest first. */
  async membershipsOf(manager: EntityManager, aidantId: string): Promise<MembershipView[]> {
    const rows = await manager.find(Membership, { where: { aidantId }, order: { createdAt: 'ASC' } });
    // The structures in one statement, not one per membership (the aidant guard asks on every page).
    const structures = new Map((await this.structures.findByIds(manager, rows.map((r) => r.structureId))).map((s) => [s.id, s]));
    return rows.map((row) => {
      const structure = structures.get(row.structureId);
      if (!structure) throw new NotFoundError('Cette structure n’existe pas.', `structure ${row.structureId} not found`);
      return { structure, roles: row.roles, suspended: row.suspendedAt !== null };
    });
  }

  /**
   * The account and its memberships with their structures, oldest first, read
   * now: two statements (account and memberships together, then the
   * structures through their module), where findById + membershipsOf take three.
   */
  async accessOf(manager: EntityManager, aidantId: string): Promise<AidantAccess | null> {
    if (!isUuid(aidantId)) return null;
    const { rows } = await runPrepared<AccessRow>(manager, ACCESS, [aidantId]);
    const first = rows[0];
    if (!first) return null;
    const held = rows.filter((row): row is AccessRow & { structure_id: string; roles: Role[] } => row.structure_id !== null);
    const structures = new Map((await this.structures.findByIds(manager, held.map((r) => r.structure_id))).map((s) => [s.id, s]));
    const memberships = held.map((row) => {
      const structure = structures.get(row.structure_id);
      if (!structure) throw new NotFoundError('Cette structure n’existe pas.', `structure ${row.structure_id} not found`);
      return { structure, roles: row.roles, suspended: row.suspended_at !== null };
    });
    return {
      aidant: { id: first.id, givenName: first.given_name, familyName: first.family_name, habilitationStatus: first.habilitation_status },
      memberships,
    };
  }

  /** Chains an aidant-level event goes to: each of their structures, or the national chain. */
  async chainsOf(manager: EntityManager, aidantId: string): Promise<(string | null)[]> {
    const rows = await manager.find(Membership, { where: { aidantId }, order: { createdAt: 'ASC' } });
    return rows.length > 0 ? rows.map((r) => r.structureId) : [null];
  }

  /** Operator decision: habilitate, suspend, revoke (or habilitate again after a suspension). */
  async changeHabilitation(
    manager: EntityManager,
    aidantId: string,
    to: HabilitationStatus,
    actor: Actor,
    request?: RequestFacts,
  ): Promise<Aidant> {
    const aidant = await this.getById(manager, aidantId);
    const from = aidant.habilitationStatus;
    if (!TRANSITIONS[from].includes(to)) {
      throw new ValidationError(
        { status: `Passage impossible de « ${from} » à « ${to} ».` },
        `habilitation transition ${from} -> ${to} refused`,
      );
    }
    const now = this.clock.now();
    await manager.update(
      Aidant,
      { id: aidant.id },
      {
        habilitationStatus: to,
        statusChangedAt: now,
        statusChangedBy: actorLabel(actor),
        ...(to === 'habilitated' && !aidant.habilitatedAt ? { habilitatedAt: now } : {}),
      },
    );
    const chains = await this.chainsOf(manager, aidant.id);
    for (const structureId of chains) {
      await this.journal.append(manager, {
        action: 'aidant.habilitation_changed',
        structureId,
        actor,
        subjects: { aidantId: aidant.id },
        request,
        details: { from, to },
      });
    }
    if (to === 'suspended' || to === 'revoked') {
      await this.endAllSessions(manager, aidant.id, 'habilitation_changed', actor, chains, request);
    }
    return { ...aidant, habilitationStatus: to };
  }

  /** Référent decision, for one structure: suspend or reactivate the aidant there. */
  async setSuspended(
    manager: EntityManager,
    structureId: string,
    aidantId: string,
    suspended: boolean,
    actor: Actor,
    request?: RequestFacts,
  ): Promise<void> {
    const membership = await this.requireMember(manager, structureId, aidantId);
    if ((membership.suspendedAt !== null) === suspended) return;
    if (suspended && actor.type === 'aidant' && actor.id === aidantId) {
      throw new ValidationError({ aidant: 'Vous ne pouvez pas suspendre votre propre accès.' });
    }
    await manager.update(Membership, { id: membership.id }, { suspendedAt: suspended ? this.clock.now() : null });
    await this.journal.append(manager, {
      action: suspended ? 'aidant.suspended' : 'aidant.reactivated',
      structureId,
      actor,
      subjects: { aidantId },
      request,
      details: {},
    });
    if (suspended) await this.endAllSessions(manager, aidantId, 'suspended', actor, [structureId], request);
  }

  /**
   * Ends every session of the account at once, in the caller's transaction
   * (password reset, suspension, revocation): the guard would refuse most of
   * them on their next request anyway, but not a session in another
   * structure, nor one after a reset, whose password is no longer valid.
   * Journaled in the given chains when a session was open.
   */
  async endAllSessions(
    manager: EntityManager,
    aidantId: string,
    reason: 'password_reset' | 'suspended' | 'habilitation_changed',
    actor: Actor,
    chains: (string | null)[],
    request?: RequestFacts,
  ): Promise<number> {
    const count = await endSessionsOf(manager, aidantId, { kind: 'all' }, reason, this.clock.now());
    if (count === 0) return 0;
    for (const structureId of chains) {
      await this.journal.append(manager, {
        action: 'aidant.sessions_ended',
        structureId,
        actor,
        subjects: { aidantId },
        request,
        details: { scope: 'all', count, reason },
      });
    }
    return count;
  }

  /** Grants or withdraws one role in one structure; a structure keeps at least one référent. */
  async setRole(
    manager: EntityManager,
    structureId: string,
    aidantId: string,
    role: Role,
    granted: boolean,
    actor: Actor,
    request?: RequestFacts,
  ): Promise<Role[]> {
    const membership = await this.requireMember(manager, structureId, aidantId);
    const before = membership.roles;
    const after = ROLES.filter((r) => (r === role ? granted : before.includes(r)));
    if (after.length === before.length && after.every((r) => before.includes(r))) return before;
    if (after.length === 0) {
      throw new ValidationError({ roles: 'Un membre de la structure garde au moins un rôle.' });
    }
    if (role === 'referent' && !granted) {
      const referents = await manager
        .createQueryBuilder(Membership, 'm')
        .where('m.structure_id = :structureId', { structureId })
        .andWhere(`'referent' = ANY(m.roles)`)
        .getCount();
      if (referents <= 1) {
        throw new LastReferentError(
          'La structure doit garder au moins un référent : désignez-en un autre avant de retirer ce rôle.',
          'last referent of the structure',
        );
      }
    }
    await manager.update(Membership, { id: membership.id }, { roles: after });
    await this.journal.append(manager, {
      action: 'aidant.role_changed',
      structureId,
      actor,
      subjects: { aidantId },
      request,
      details: { before, after },
    });
    return after;
  }

  /** The membership, or the same not-found error whether the aidant is unknown or elsewhere. */
  async requireMember(manager: EntityManager, structureId: string, aidantId: string): Promise<Membership> {
    const membership = await this.membership(manager, aidantId, structureId);
    if (!membership) throw new NotFoundError('Cet aidant n’existe pas dans votre structure.', 'aidant not in structure');
    return membership;
  }

  /** Members of a structure with their accounts, for the référent pages. */
  async listForStructure(manager: EntityManager, structureId: string) {
    const memberships = await manager.find(Membership, { where: { structureId }, order: { createdAt: 'ASC' } });
    const ids = memberships.map((m) => m.aidantId);
    const aidants = ids.length > 0 ? await manager.findBy(Aidant, { id: In(ids) }) : [];
    const byId = new Map(aidants.map((a) => [a.id, a]));
    return memberships.map((m) => ({ membership: m, aidant: byId.get(m.aidantId)! }));
  }

  /**
   * The members the référent pages list, oldest membership first, in one
   * read of plain rows: building the two entities of each of a structure's
   * hundreds of members cost those pages most of their CPU.
   */
  async memberSummaries(manager: EntityManager, structureId: string): Promise<MemberSummary[]> {
    const rows: Array<{ id: string; given_name: string; family_name: string; habilitation_status: HabilitationStatus; suspended_at: Date | null; last_signed_in_at: Date | null }> =
      await manager.query(
        `SELECT a.id, a.given_name, a.family_name, a.habilitation_status, m.suspended_at, m.last_signed_in_at
           FROM memberships m JOIN aidants a ON a.id = m.aidant_id
          WHERE m.structure_id = $1 ORDER BY m.created_at, m.id`,
        [structureId],
      );
    return rows.map((r) => ({
      id: r.id,
      givenName: r.given_name,
      familyName: r.family_name,
      habilitationStatus: r.habilitation_status,
      suspendedAt: r.suspended_at,
      lastSignedInAt: r.last_signed_in_at,
    }));
  }

  async recordSignIn(manager: EntityManager, aidantId: string, structureId: string | null): Promise<void> {
    if (!structureId) return;
    await manager.update(Membership, { aidantId, structureId }, { lastSignedInAt: this.clock.now() });
  }

  async setPassword(manager: EntityManager, aidantId: string, passwordHash: string): Promise<void> {
    await manager.update(Aidant, { id: aidantId }, { passwordHash, activatedAt: this.clock.now() });
  }

  async clearPassword(manager: EntityManager, aidantId: string): Promise<void> {
    await manager.update(Aidant, { id: aidantId }, { passwordHash: null });
  }
}
