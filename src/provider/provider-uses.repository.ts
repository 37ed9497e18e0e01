import type { EntityManager } from 'typeorm';

/**
 * One sign-in of an aidant at a partner for a usager: the "account" that
 * oidc-provider's grants, codes and tokens refer to (its `accountId`).
 */
export interface ProviderUse {
  id: string;
  partnerId: string;
  aidantId: string;
  structureId: string;
  usagerId: string;
  mandateId: string;
  demarche: string;
  repScope: string[];
}

/** A `provider_uses` row as the driver returns it. */
export interface UseRow {
  id: string;
  partner_id: string;
  aidant_id: string;
  structure_id: string;
  usager_id: string;
  mandate_id: string;
  demarche: string;
  rep_scope: string[];
}

export const providerUses = {
  async insert(m: EntityManager, use: Omit<ProviderUse, 'id'>): Promise<ProviderUse> {
    const rows: UseRow[] = await m.query(
      `INSERT INTO provider_uses (partner_id, aidant_id, structure_id, usager_id, mandate_id, demarche, rep_scope)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [use.partnerId, use.aidantId, use.structureId, use.usagerId, use.mandateId, use.demarche, use.repScope],
    );
    return toUse(rows[0]!);
  },

  async findById(m: EntityManager, id: string): Promise<ProviderUse | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const rows: UseRow[] = await m.query(`SELECT * FROM provider_uses WHERE id = $1`, [id]);
    return rows[0] ? toUse(rows[0]) : null;
  },
};

/** A `provider_uses` row as the service sees it. */
export function toUse(row: UseRow): ProviderUse {
  return {
    id: row.id,
    partnerId: row.partner_id,
    aidantId: row.aidant_id,
    structureId: row.structure_id,
    usagerId: row.usager_id,
    mandateId: row.mandate_id,
    demarche: row.demarche,
    repScope: row.rep_scope,
  };
}

/** What every journal entry about a partner's use of a sign-in records: the partner acts, for this usager, mandate, aidant and démarche. */
export function journalFieldsOfUse(use: ProviderUse) {
  return {
    structureId: use.structureId,
    actor: { type: 'partner' as const, id: use.partnerId },
    subjects: { usagerId: use.usagerId, mandateId: use.mandateId, aidantId: use.aidantId, partnerId: use.partnerId },
    demarche: use.demarche,
  };
}
