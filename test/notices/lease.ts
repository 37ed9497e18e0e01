import type { DataSource } from 'typeorm';

/**
 * The lease of a runner the crash tests kill: long enough that a loaded
 * machine still checks "nobody else takes it" inside it, short enough to
 * wait for.
 */
export const LEASE_MS = 2_000;

/** Waits until the database's clock has passed the notice's lease (the moment another runner may take it). */
export async function leaseRunOut(db: DataSource, noticeId: string): Promise<void> {
  for (;;) {
    const [row]: Array<{ out: boolean }> = await db.query(`SELECT lease_until < now() AS out FROM notices WHERE id = $1`, [noticeId]);
    if (row?.out ?? true) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
