import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import type { DemarcheId } from '../../src/demarches/demarches.js';
import { MandateOpeningService } from '../../src/mandates/mandate-opening.service.js';
import type { Duration, MandateView } from '../../src/mandates/mandates.types.js';
import type { TestApp } from './test-app.js';

/** A usager id for service-level tests (a real usager record once the usagers module is merged). */
export async function seedUsager(_t: TestApp): Promise<string> {
  return randomUUID();
}

/** Opens a mandate directly through the service (no wizard), as if FranceConnect consent happened. */
export function openMandate(
  t: TestApp,
  input: { aidantId: string; structureId: string; usagerId: string; demarches: DemarcheId[]; duration?: Duration },
  manager?: EntityManager,
): Promise<MandateView> {
  const run = (m: EntityManager) =>
    t.app.get(MandateOpeningService).open(m, {
      aidantId: input.aidantId,
      structureId: input.structureId,
      usagerId: input.usagerId,
      choice: { demarches: input.demarches, duration: input.duration ?? 'mois' },
      consent: { kind: 'franceconnect', acr: 'eidas1', authTime: Math.floor(Date.now() / 1000), idTokenHash: 'A'.repeat(43) },
      submissionId: randomUUID(),
      declaredAt: new Date(),
      totpConfirmedAt: new Date(),
    });
  return manager ? run(manager) : t.app.get(TransactionRunner).run(run);
}

/** Moves a mandate (and its autorisations) `days` into the past, keeping its duration: time travel for expiry tests. */
export async function backdateMandate(t: TestApp, mandateId: string, days: number): Promise<void> {
  const shift = `interval '24 hours' * ${Number(days)}`;
  const db = t.app.get(DataSource);
  await db.query(`UPDATE mandates SET created_at = created_at - ${shift}, expires_at = expires_at - ${shift} WHERE id = $1`, [mandateId]);
  await db.query(`UPDATE autorisations SET created_at = created_at - ${shift} WHERE mandate_id = $1`, [mandateId]);
}
