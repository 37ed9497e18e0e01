/**
 * What "live" means in SQL: the one definition that every query asking it
 * uses (this module's repository, the provider's account snapshot), so that
 * a partner's token and the counter's pages can never disagree about an
 * autorisation. Always at database time (`now()`), never the caller's clock.
 *
 * - An autorisation is *open* until it is closed: revoked on its own,
 *   superseded by a newer mandate, closed with its mandate, or closed after
 *   it had lapsed (`revoked_at` holds when).
 * - A mandate is *live* while it is neither revoked nor past its end.
 * - An autorisation is *live* when it is open and its mandate is live.
 *
 * The same rule for rows already read is `statusOf` (mandate-status.ts).
 * test/provider/live-autorisation.e2e-spec.ts builds autorisations in every
 * state and checks that each user of these conditions finds the same ones.
 *
 * Each function takes the aliases the query gives to `autorisations` and
 * `mandates` and returns a condition to put in its WHERE clause (or its
 * select list). The text is fixed for given aliases, so statements built
 * with it can be prepared (docs/decisions/0004).
 */

/** The autorisation `a` has not been closed. */
export function openAutorisationSql(a: string): string {
  return `${a}.revoked_at IS NULL`;
}

/** The mandate `m` is neither revoked nor past its end. */
export function liveMandateSql(m: string): string {
  return `${m}.revoked_at IS NULL AND ${m}.expires_at > now()`;
}

/** The mandate `m` has ended: revoked, or past its end (the negation of `liveMandateSql`). */
export function endedMandateSql(m: string): string {
  return `NOT (${liveMandateSql(m)})`;
}

/**
 * When the mandate `m` ended or will end: its revocation if earlier than its
 * end, else its end. Written exactly as the expression of
 * `mandates_structure_end_idx` (migration 1766080000000), so that the ended
 * mandates' pages read that index.
 */
export function mandateEndSql(m: string): string {
  return `LEAST(COALESCE(${m}.revoked_at, ${m}.expires_at), ${m}.expires_at)`;
}

/** The autorisation `a`, whose mandate is `m` (joined on `m.id = a.mandate_id`), is live. */
export function liveAutorisationSql(a: string, m: string): string {
  return `${openAutorisationSql(a)} AND ${liveMandateSql(m)}`;
}
