import { Inject, Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { Clock } from '../clock/clock.js';
import { hashFcSub } from '../franceconnect/fc-sub.js';
import type { Gender, VerifiedIdentity } from '../franceconnect/franceconnect.types.js';
import { JournalService } from '../journal/journal.service.js';
import type { JournalActor, RequestFacts } from '../journal/journal.types.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { identityChanges, identityValuesOf } from './identity-changes.js';
import { namesMatch, typedWords } from './name-fold.js';
import { Usager } from './usager.entity.js';
import type { UsagerIdentity, UsagerView } from './usagers.types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function toView(usager: Usager): UsagerView {
  return {
    id: usager.id,
    givenName: usager.givenName,
    familyName: usager.familyName,
    preferredUsername: usager.preferredUsername,
    birthdate: usager.birthdate,
    gender: usager.gender,
    birthplace: usager.birthplace,
    birthcountry: usager.birthcountry,
    email: usager.email,
  };
}

export interface UpsertContext {
  /**
   * Who caused it: the aidant at the counter, or the usager signing in
   * (`{ type: 'usager', id: null }`: the id is filled in with the usager's own).
   */
  actor: JournalActor;
  /** Journal chain: the aidant's structure, or null (national) for the usager's own actions. */
  structureId: string | null;
  request?: RequestFacts;
}

/**
 * Usagers as FranceConnect reports them, keyed by the keyed hash of their
 * `sub`. Every change is journaled in the caller's transaction.
 */
@Injectable()
export class UsagersService {
  constructor(
    private readonly journal: JournalService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Creates the usager of this verified identity, or updates the fields
   * FranceConnect now reports differently (journaled as
   * `usager.identity_updated` with only those fields).
   */
  async upsertFromIdentity(manager: EntityManager, identity: VerifiedIdentity, ctx: UpsertContext): Promise<UsagerView> {
    const fcSubHash = hashFcSub(this.config.franceConnect.subKey, identity.sub);
    const reported = identityValuesOf(identity);
    const now = this.clock.now();
    // Insert-or-nothing first, so two first sign-ins at once cannot both create the person.
    const inserted: { id: string }[] = await manager.query(
      `INSERT INTO usagers (fc_sub_hash, given_name, family_name, preferred_username, birthdate, gender,
                            birthplace, birthcountry, email, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
       ON CONFLICT (fc_sub_hash) DO NOTHING
       RETURNING id`,
      [
        fcSubHash,
        reported.givenName,
        reported.familyName,
        reported.preferredUsername,
        reported.birthdate,
        reported.gender,
        reported.birthplace,
        reported.birthcountry,
        reported.email,
        now,
      ],
    );
    if (inserted.length === 1) {
      const id = inserted[0]!.id;
      await this.journal.append(manager, {
        action: 'usager.created',
        structureId: ctx.structureId,
        actor: actorFor(ctx.actor, id),
        subjects: { usagerId: id },
        request: ctx.request,
        details: {},
      });
      return { id, ...reported };
    }
    const stored = await manager.findOne(Usager, { where: { fcSubHash }, lock: { mode: 'pessimistic_write' } });
    if (!stored) throw new Error('usager vanished between insert and select');
    const changes = identityChanges(storedValues(stored), reported);
    if (Object.keys(changes).length === 0) return toView(stored);
    await manager.update(Usager, { id: stored.id }, { ...reported, updatedAt: now });
    await this.journal.append(manager, {
      action: 'usager.identity_updated',
      structureId: ctx.structureId,
      actor: actorFor(ctx.actor, stored.id),
      subjects: { usagerId: stored.id },
      request: ctx.request,
      details: { changes },
    });
    return { id: stored.id, ...reported };
  }

  async findById(manager: EntityManager, id: string): Promise<UsagerView | null> {
    if (!UUID.test(id)) return null;
    const usager = await manager.findOneBy(Usager, { id });
    return usager ? toView(usager) : null;
  }

  /**
   * Names and birthdate of the usagers of these ids that exist (born on
   * `birthdate` when given), in no particular order: what pages naming many
   * usagers and searches by name need, read without loading whole records.
   */
  async identitiesOf(manager: EntityManager, ids: string[], birthdate: string | null = null): Promise<UsagerIdentity[]> {
    const valid = [...new Set(ids.filter((id) => UUID.test(id)))];
    if (valid.length === 0) return [];
    const rows: IdentityRow[] = await manager.query(
      `SELECT id, given_name, family_name, preferred_username, to_char(birthdate, 'YYYY-MM-DD') AS birthdate, gender
         FROM usagers WHERE id = ANY($1::uuid[]) AND ($2::date IS NULL OR birthdate = $2::date)`,
      [valid, birthdate],
    );
    return rows.map(identityOf);
  }

  /**
   * The usagers named so (every word of `name` starts one of the words of
   * their given names, birth name or nom d'usage, accents and case folded
   * by `namesMatch`), born on `birthdate` when given, in no particular
   * order; or null when more than `limit` usagers had to be compared (a name
   * too common to be looked up this way). Never reads all usagers:
   * - with a birthdate, those born that day, from the covering index
   *   `usagers_birthdate_idx` (names included), compared here;
   * - without, those with a word starting with the longest word typed, an
   *   index range of the folded words the database keeps
   *   (`usager_name_words`, migration 1765300000001), compared here.
   */
  async identitiesNamed(manager: EntityManager, name: string, birthdate: string | null, limit: number): Promise<UsagerIdentity[] | null> {
    const typed = typedWords(name);
    if (typed.length === 0) return [];
    const longest = typed.reduce((a, b) => (b.length > a.length ? b : a));
    let candidates: UsagerIdentity[];
    if (birthdate !== null) {
      const rows: IdentityRow[] = await manager.query(
        `SELECT id, given_name, family_name, preferred_username, to_char(birthdate, 'YYYY-MM-DD') AS birthdate, gender
           FROM usagers WHERE birthdate = $1::date LIMIT $2`,
        [birthdate, limit + 1],
      );
      if (rows.length > limit) return null;
      candidates = rows.map(identityOf);
    } else {
      const words: { usager_id: string }[] = await manager.query(
        `SELECT usager_id FROM usager_name_words WHERE word >= $1 AND word < $2 LIMIT $3`,
        [longest, `${longest}\u{10FFFF}`, limit + 1],
      );
      if (words.length > limit) return null;
      candidates = await this.identitiesOf(manager, words.map((w) => w.usager_id));
    }
    return candidates.filter((u) => namesMatch(u, typed));
  }

  /** The usagers of these ids that exist, in no particular order. */
  async findByIds(manager: EntityManager, ids: string[]): Promise<UsagerView[]> {
    const valid = [...new Set(ids.filter((id) => UUID.test(id)))];
    if (valid.length === 0) return [];
    return (await manager.findBy(Usager, { id: In(valid) })).map(toView);
  }
}

interface IdentityRow {
  id: string;
  given_name: string;
  family_name: string;
  preferred_username: string | null;
  birthdate: string;
  gender: Gender;
}

function identityOf(r: IdentityRow): UsagerIdentity {
  return { id: r.id, givenName: r.given_name, familyName: r.family_name, preferredUsername: r.preferred_username, birthdate: r.birthdate, gender: r.gender };
}

function storedValues(usager: Usager) {
  const { id: _id, ...values } = toView(usager);
  return values;
}

function actorFor(actor: JournalActor, usagerId: string): JournalActor {
  return actor.type === 'usager' && actor.id === null ? { type: 'usager', id: usagerId } : actor;
}
