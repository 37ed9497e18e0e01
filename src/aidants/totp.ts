import { timingSafeEqual } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/**
 * RFC 6238 codes (HMAC-SHA-1, 6 digits) for cards (30 s or 60 s steps) and
 * authenticator apps (30 s). Pure functions: the caller stores the drift and
 * the last accepted step, which is what makes a code single-use.
 */
export const TOTP_DIGITS = 6;
export const TOTP_STEPS = [30, 60] as const;
export type TotpStep = (typeof TOTP_STEPS)[number];
/** Codes of the previous and next step are accepted too (clock skew, typing time). */
export const TOTP_WINDOW = 1;
/** How far (in steps, each way) re-synchronisation looks for two consecutive codes. */
export const TOTP_RESYNC_RANGE = 2000;

export interface TotpState {
  /** Base32 seed. */
  secret: string;
  step: TotpStep;
  /** Steps the device is known to be ahead (+) or behind (−) the server. */
  drift: number;
  /** Last accepted time step: any code at or before it is a replay. */
  lastUsedStep: number | null;
}

export type TotpCheck =
  | { ok: true; usedStep: number }
  | { ok: false; reason: 'invalid' | 'replayed' };

export function isTotpFormat(code: string): boolean {
  return /^\d{6}$/.test(code);
}

export function isBase32Secret(secret: string): boolean {
  return /^[A-Z2-7]{16,128}=*$/.test(secret);
}

export function timeStepAt(nowMs: number, step: TotpStep): number {
  return Math.floor(nowMs / 1000 / step);
}

export function codeAtStep(secret: string, step: TotpStep, counter: number): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: step,
    timestamp: counter * step * 1000,
  });
}

function same(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Checks a code against the window around the expected step, refusing replays. */
export function checkTotp(state: TotpState, code: string, nowMs: number): TotpCheck {
  if (!isTotpFormat(code)) return { ok: false, reason: 'invalid' };
  const expected = timeStepAt(nowMs, state.step) + state.drift;
  let matched: number | null = null;
  for (let delta = -TOTP_WINDOW; delta <= TOTP_WINDOW; delta++) {
    // Every candidate is computed, so timing does not tell which one matched.
    if (same(codeAtStep(state.secret, state.step, expected + delta), code) && matched === null) {
      matched = expected + delta;
    }
  }
  if (matched === null) return { ok: false, reason: 'invalid' };
  if (state.lastUsedStep !== null && matched <= state.lastUsedStep) return { ok: false, reason: 'replayed' };
  return { ok: true, usedStep: matched };
}

/**
 * Finds the drift of a card from two consecutive codes typed one after the
 * other: the first step s within ±TOTP_RESYNC_RANGE whose codes are
 * (first, second) at (s, s + 1). Returns the new drift and the step to mark
 * as used, or null when no such pair exists.
 */
export function resynchronise(
  state: Pick<TotpState, 'secret' | 'step' | 'drift'>,
  first: string,
  second: string,
  nowMs: number,
): { drift: number; usedStep: number } | null {
  if (!isTotpFormat(first) || !isTotpFormat(second)) return null;
  const now = timeStepAt(nowMs, state.step);
  const centre = now + state.drift;
  for (let distance = 0; distance <= TOTP_RESYNC_RANGE; distance++) {
    for (const candidate of distance === 0 ? [centre] : [centre - distance, centre + distance]) {
      if (
        codeAtStep(state.secret, state.step, candidate) === first &&
        codeAtStep(state.secret, state.step, candidate + 1) === second
      ) {
        return { drift: candidate + 1 - now, usedStep: candidate + 1 };
      }
    }
  }
  return null;
}

/** The `otpauth://` URI an authenticator app enrols from. */
export function provisioningUri(secret: string, label: string, issuer = 'Procuration'): string {
  return new TOTP({
    issuer,
    label,
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: 30,
  }).toString();
}

/** A fresh random 160-bit seed, base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}
