/**
 * Data of the supervision benchmark, loaded with `COPY … FROM STDIN` (text
 * format) from lines built here: structures, aidants and memberships,
 * usagers, mandates with their consents and autorisations, and journal
 * entries. The journal's secondary indexes are dropped during the load and
 * built again afterwards (one sort each instead of millions of insertions);
 * triggers and foreign keys are off for the loading session only
 * (`session_replication_role = replica`), every row being consistent by
 * construction. Hashes are filler: nothing here verifies the chains.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { dropSecondaryIndexes } from '../support/journal-indexes.js';

const DEMARCHES = ['papiers', 'famille', 'social', 'travail', 'logement', 'transports', 'argent', 'justice', 'etranger', 'loisirs'];
const PARTNERS = ['caf-demo', 'impots-demo', 'ameli-demo', 'ants-demo'];
const GIVEN = ['Jean', 'Marie', 'Ahmed', 'Lucie', 'Paul', 'Fatou', 'Louis', 'Chloé', 'Hugo', 'Inès', 'Léa', 'Karim'];
const FAMILY = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent', 'Lefèvre', 'Michel'];
const DAY_MS = 86_400_000;

/** Deterministic ids: a kind, the structure's number and a number within it. */
const KIND = { structure: 1, aidant: 2, usager: 3, mandate: 4, ended: 5, consent: 6, endedConsent: 7, entry: 8, membership: 9, autorisation: 10 } as const;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
export function benchId(kind: keyof typeof KIND, structure: number, n: number): string {
  return `${hex(KIND[kind], 2)}${hex(structure, 6)}-0000-4000-8000-${hex(n, 12)}`;
}

export interface BenchStructure {
  /** 0 is the measured structure, created by the application beforehand. */
  index: number;
  id: string;
  aidantIds: string[];
  entries: number;
  /** Seq after which its generated entries start (the measured chain already has a few). */
  after: number;
}

/** Usagers of a structure: one per 20 entries (each with two mandates: 1,000,000 mandates for 10,000,000 entries). */
export const usagersOf = (s: BenchStructure) => Math.max(1, Math.floor(s.entries / 20));

/** Streams `rowsOf(i)` for i in [0, count) into `COPY table (columns) FROM STDIN`. */
async function copyRows(client: pg.Client, table: string, columns: string, count: number, rowsOf: (i: number) => string): Promise<void> {
  let i = 0;
  const source = new Readable({
    read() {
      if (i >= count) {
        this.push(null);
        return;
      }
      const end = Math.min(count, i + 2000);
      let chunk = '';
      for (; i < end; i++) chunk += rowsOf(i);
      this.push(chunk);
    },
  });
  await pipeline(source, client.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN`)));
}

/** Runs `load` over every structure in turn, as one COPY stream per table. */
function acrossStructures(structures: BenchStructure[], countOf: (s: BenchStructure) => number, rowOf: (s: BenchStructure, i: number) => string) {
  const starts: number[] = [];
  let total = 0;
  for (const s of structures) {
    starts.push(total);
    total += countOf(s);
  }
  let current = 0;
  return {
    total,
    rowsOf: (i: number) => {
      while (current + 1 < structures.length && i >= starts[current + 1]!) current++;
      return rowOf(structures[current]!, i - starts[current]!);
    },
  };
}

const N = '\\N';
const line = (fields: (string | number | null)[]) => `${fields.map((f) => (f === null ? N : String(f))).join('\t')}\n`;

export async function generateBenchData(
  client: pg.Client,
  structures: BenchStructure[],
  log: (line: string) => void,
): Promise<void> {
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  await client.query(`SET session_replication_role = replica`);
  await client.query(`SET maintenance_work_mem = '512MB'`);
  const others = structures.filter((s) => s.index !== 0);
  let t0 = performance.now();
  const step = (what: string) => {
    log(`  ${what} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
  };

  await copyRows(client, 'structures', 'id, name, siret, type, address', others.length, (i) => {
    const s = others[i]!;
    return line([s.id, `Structure ${s.index}`, String(30_000_000_000_000 + s.index), 'france_services', `${s.index} rue de la Paix`]);
  });
  const members = acrossStructures(others, () => 5, (s, i) =>
    line([s.aidantIds[i]!, `a${s.index}-${i}@bench.test`, GIVEN[i % GIVEN.length]!, FAMILY[(s.index + i) % FAMILY.length]!, 'habilitated', 'system']),
  );
  await copyRows(client, 'aidants', 'id, email, given_name, family_name, habilitation_status, status_changed_by', members.total, members.rowsOf);
  const memberships = acrossStructures(others, () => 5, (s, i) =>
    line([benchId('membership', s.index, i), s.aidantIds[i]!, s.id, i === 0 ? '{aidant,referent}' : '{aidant}']),
  );
  await copyRows(client, 'memberships', 'id, aidant_id, structure_id, roles', memberships.total, memberships.rowsOf);
  step(`${others.length} structures and ${members.total} aidants`);

  const usagers = acrossStructures(structures, usagersOf, (s, k) => {
    const id = benchId('usager', s.index, k);
    const born = `${1940 + (k % 60)}-${String(1 + (k % 12)).padStart(2, '0')}-${String(1 + (k % 28)).padStart(2, '0')}`;
    return line([id, id.replaceAll('-', '').padEnd(64, '0'), GIVEN[k % GIVEN.length]!, `${FAMILY[(k * 7) % FAMILY.length]!}`, born, k % 2 ? 'female' : 'male', '75056', '99100']);
  });
  await copyRows(client, 'usagers', 'id, fc_sub_hash, given_name, family_name, birthdate, gender, birthplace, birthcountry', usagers.total, usagers.rowsOf);
  step(`${usagers.total} usagers`);

  // Per usager: a live mandate ("long", two démarches) and an ended one (expired, or revoked for one in three).
  const createdOf = (k: number) => now - (1 + (k % 360)) * DAY_MS;
  const endedCreatedOf = (k: number) => now - (200 + (k % 300)) * DAY_MS;
  const consents = acrossStructures(structures, (s) => 2 * usagersOf(s), (s, i) => {
    const k = i >> 1;
    const at = iso(i % 2 === 0 ? createdOf(k) : endedCreatedOf(k));
    const id = benchId(i % 2 === 0 ? 'consent' : 'endedConsent', s.index, k);
    return line([id, 'franceconnect', id, 'eidas1', `${id.replaceAll('-', '')}AAAAAAAAAAA`, s.aidantIds[k % 5]!, at, at]);
  });
  await copyRows(client, 'mandate_consents', 'id, kind, submission_id, fc_acr, id_token_hash, declared_by, declared_at, totp_confirmed_at', consents.total, consents.rowsOf);
  const mandates = acrossStructures(structures, (s) => 2 * usagersOf(s), (s, i) => {
    const k = i >> 1;
    const usager = benchId('usager', s.index, k);
    const by = s.aidantIds[k % 5]!;
    if (i % 2 === 0) {
      const created = createdOf(k);
      return line([benchId('mandate', s.index, k), s.id, usager, by, benchId('consent', s.index, k), 'long', iso(created), iso(created + 365 * DAY_MS), null, null, null, null, null]);
    }
    const created = endedCreatedOf(k);
    const expires = created + 182 * DAY_MS;
    const revoked = k % 3 === 0 ? created + 20 * DAY_MS : null;
    return line([
      benchId('ended', s.index, k), s.id, usager, by, benchId('endedConsent', s.index, k), 'semestre', iso(created), iso(expires),
      revoked === null ? null : iso(revoked), revoked === null ? null : 'aidant', revoked === null ? null : by,
      revoked === null ? null : 'fin de l’accompagnement', revoked === null && expires < now ? iso(expires) : null,
    ]);
  });
  await copyRows(
    client, 'mandates',
    'id, structure_id, usager_id, opened_by, consent_id, duration, created_at, expires_at, revoked_at, revoked_by_type, revoked_by_id, revocation_reason, expiry_journaled_at',
    mandates.total, mandates.rowsOf,
  );
  const autorisations = acrossStructures(structures, (s) => 3 * usagersOf(s), (s, i) => {
    const k = Math.floor(i / 3);
    const usager = benchId('usager', s.index, k);
    const id = benchId('autorisation', s.index, i);
    if (i % 3 < 2) {
      return line([id, benchId('mandate', s.index, k), s.id, usager, DEMARCHES[(k + 3 * (i % 3)) % 10]!, iso(createdOf(k)), null, null]);
    }
    const created = endedCreatedOf(k);
    const reason = k % 3 === 0 ? 'mandate_revoked' : 'lapsed';
    return line([id, benchId('ended', s.index, k), s.id, usager, DEMARCHES[(k + 1) % 10]!, iso(created), iso(created + 182 * DAY_MS), reason]);
  });
  await copyRows(client, 'autorisations', 'id, mandate_id, structure_id, usager_id, demarche, created_at, revoked_at, revocation_reason', autorisations.total, autorisations.rowsOf);
  step(`${mandates.total} mandates, ${consents.total} consents, ${autorisations.total} autorisations`);

  await copyRows(client, 'journal_chains', 'chain', others.length, (i) => line([others[i]!.id]));
  const indexes = await dropSecondaryIndexes(client);
  const entries = acrossStructures(structures, (s) => s.entries, (s, i) => entryLine(s, i + 1, now));
  await copyRows(
    client, 'journal_entries',
    'id, chain, seq, at, action, actor_type, actor_id, usager_id, mandate_id, aidant_id, partner_id, demarche, ip, user_agent, request_id, details, prev_hash, hash',
    entries.total, entries.rowsOf,
  );
  step(`${entries.total} journal entries copied`);
  for (const definition of indexes) await client.query(definition);
  step(`${indexes.length} journal indexes built`);
  await client.query(`RESET session_replication_role`);
  for (const table of ['journal_entries', 'mandates', 'autorisations', 'mandate_consents', 'usagers', 'aidants', 'memberships', 'structures']) {
    await client.query(`VACUUM (ANALYZE) ${table}`);
  }
  step('vacuum and analyze');
}

/**
 * Entry `j` (1-based) of a chain, spread over the last 365 days: half are
 * uses of a mandate (partner, démarche), then mandate openings, expiries
 * and sign-ins; 5 aidants; usagers and their live mandate by `j`.
 */
function entryLine(s: BenchStructure, j: number, now: number): string {
  const seq = s.after + j;
  const at = new Date(now - 365 * DAY_MS + Math.floor((j / s.entries) * 365 * DAY_MS)).toISOString();
  const k = j % usagersOf(s);
  const aidant = s.aidantIds[j % 5]!;
  const usager = benchId('usager', s.index, k);
  const mandate = benchId('mandate', s.index, k);
  const fill = hex(seq, 16).repeat(4);
  const hash = `${hex(s.index, 16)}${fill.slice(16)}`;
  const common = [benchId('entry', s.index, seq), s.id, seq, at];
  const request = ['192.0.2.1', 'bench', hex(seq, 32)];
  let rest: (string | number | null)[];
  if (j % 2 === 0) {
    const demarche = DEMARCHES[(j >> 1) % 10]!;
    rest = ['autorisation.used', 'aidant', aidant, usager, mandate, aidant, PARTNERS[(j >> 1) % 4]!, demarche, ...request,
      `{"clientId":"${PARTNERS[(j >> 1) % 4]}","useId":"${benchId('entry', s.index, seq)}","repScope":[]}`];
  } else if (j % 3 === 0) {
    rest = ['mandate.created', 'aidant', aidant, usager, mandate, aidant, null, DEMARCHES[k % 10]!, ...request,
      `{"demarches":["${DEMARCHES[k % 10]}"],"duration":"long","expiresAt":"${at}","consentId":"${benchId('consent', s.index, k)}","consent":"franceconnect"}`];
  } else if (j % 5 === 0) {
    rest = ['mandate.expired', 'system', null, usager, benchId('ended', s.index, k), null, null, null, null, null, null, `{"expiresAt":"${at}"}`];
  } else {
    rest = ['aidant.signed_in', 'aidant', aidant, null, null, aidant, null, null, ...request, '{"method":"password+totp"}'];
  }
  return line([...common, ...rest, fill, hash]);
}
