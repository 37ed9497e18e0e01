import type { EntityManager } from 'typeorm';
import { liveAutorisationSql } from '../mandates/live-autorisation.js';
import { preparedStatement, runPrepared } from '../database/prepared-statement.js';
import { toUse, type ProviderUse, type UseRow } from './provider-uses.repository.js';

/** Everything a token presentation needs about its sign-in, read in one statement. */
export interface AccountSnapshot {
  use: ProviderUse;
  /** Every démarche the sign-in stands for (the chosen one and each rep_scope value) is live right now (database time). */
  live: boolean;
  /** The partner of the sign-in is still active (a disabled partner's tokens stop working at once). */
  partnerActive: boolean;
  usager: {
    givenName: string;
    familyName: string;
    preferredUsername: string | null;
    birthdate: string;
    gender: string;
    birthplace: string;
    birthcountry: string;
    email: string | null;
  };
  aidant: { id: string; givenName: string; familyName: string };
  structure: { siret: string; name: string };
}

export interface SnapshotRow extends UseRow {
  live: boolean;
  partner_active: boolean;
  u_given_name: string;
  u_family_name: string;
  u_preferred_username: string | null;
  u_birthdate: string;
  u_gender: string;
  u_birthplace: string;
  u_birthcountry: string;
  u_email: string | null;
  a_given_name: string;
  a_family_name: string;
  s_siret: string;
  s_name: string;
}

/**
 * The snapshot's SELECT for the use whose id is the SQL expression `useId`
 * (a parameter here; the token's `accountId` when read with a token, see
 * PostgresAdapter).
 */
export function accountSnapshotSql(useId: string): string {
  return `SELECT pu.id, pu.partner_id, pu.aidant_id, pu.structure_id, pu.usager_id, pu.mandate_id, pu.demarche, pu.rep_scope,
            NOT EXISTS (
              SELECT 1 FROM unnest(array_append(pu.rep_scope, pu.demarche)) AS wanted(demarche)
               WHERE NOT EXISTS (
                 SELECT 1 FROM autorisations a JOIN mandates m ON m.id = a.mandate_id
                  WHERE a.mandate_id = pu.mandate_id AND a.demarche = wanted.demarche
                    AND ${liveAutorisationSql('a', 'm')})
            ) AS live,
            p.active AS partner_active,
            u.given_name AS u_given_name, u.family_name AS u_family_name, u.preferred_username AS u_preferred_username,
            to_char(u.birthdate, 'YYYY-MM-DD') AS u_birthdate, u.gender AS u_gender, u.birthplace AS u_birthplace,
            u.birthcountry AS u_birthcountry, u.email AS u_email,
            ai.given_name AS a_given_name, ai.family_name AS a_family_name,
            s.siret AS s_siret, s.name AS s_name
       FROM provider_uses pu
       JOIN partners p ON p.id = pu.partner_id
       JOIN usagers u ON u.id = pu.usager_id
       JOIN aidants ai ON ai.id = pu.aidant_id
       JOIN structures s ON s.id = pu.structure_id
      WHERE pu.id = ${useId}`;
}

const ACCOUNT_SNAPSHOT = preparedStatement('provider_account_snapshot', accountSnapshotSql('$1'));

/**
 * The provider's read model over the tables of the modules it acts for
 * (mandates, usagers, aidants, structures, partners): one round trip per
 * userinfo or token call instead of one per module. "Live" is the mandates
 * module's one definition (`liveAutorisationSql`, database time), which
 * test/provider/live-autorisation.e2e-spec.ts holds every query to.
 */
export async function readAccountSnapshot(m: EntityManager, useId: string): Promise<AccountSnapshot | null> {
  if (!/^[0-9a-f-]{36}$/i.test(useId)) return null;
  const { rows } = await runPrepared<SnapshotRow>(m, ACCOUNT_SNAPSHOT, [useId]);
  return rows[0] ? snapshotOf(rows[0]) : null;
}

export function snapshotOf(row: SnapshotRow): AccountSnapshot {
  return {
    use: toUse(row),
    live: row.live,
    partnerActive: row.partner_active,
    usager: {
      givenName: row.u_given_name,
      familyName: row.u_family_name,
      preferredUsername: row.u_preferred_username,
      birthdate: row.u_birthdate,
      gender: row.u_gender,
      birthplace: row.u_birthplace,
      birthcountry: row.u_birthcountry,
      email: row.u_email,
    },
    aidant: { id: row.aidant_id, givenName: row.a_given_name, familyName: row.a_family_name },
    structure: { siret: row.s_siret, name: row.s_name },
  };
}
