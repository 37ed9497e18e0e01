import { describe, expect, it } from '@jest/globals';
import { Secret, TOTP, URI } from 'otpauth';
import { checkTotp, codeAtStep, provisioningUri, resynchronise, timeStepAt, type TotpState } from './totp.js';
import { SecretBox } from './secret-box.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const NOW = Date.UTC(2026, 10, 23, 12, 0, 10);

function codeAt(ms: number, period = 30): string {
  return TOTP.generate({ secret: Secret.fromBase32(SECRET), period, digits: 6, timestamp: ms });
}

function state(over: Partial<TotpState> = {}): TotpState {
  return { secret: SECRET, step: 30, drift: 0, lastUsedStep: null, ...over };
}

describe('TOTP', () => {
  it('agrees with otpauth on the code of a step', () => {
    expect(codeAtStep(SECRET, 30, timeStepAt(NOW, 30))).toBe(codeAt(NOW));
    expect(codeAtStep(SECRET, 60, timeStepAt(NOW, 60))).toBe(codeAt(NOW, 60));
  });

  it.each([
    ['the current step', 0],
    ['the previous step', -30_000],
    ['the next step', 30_000],
  ])('accepts a code of %s', (_label, offset) => {
    const check = checkTotp(state(), codeAt(NOW + offset), NOW);
    expect(check).toEqual({ ok: true, usedStep: timeStepAt(NOW + offset, 30) });
  });

  it.each([
    ['two steps behind', -60_000],
    ['two steps ahead', 60_000],
  ])('refuses a code %s', (_label, offset) => {
    expect(checkTotp(state(), codeAt(NOW + offset), NOW)).toEqual({ ok: false, reason: 'invalid' });
  });

  it.each(['12345', '1234567', 'abcdef', ''])('refuses the malformed code %j', (code) => {
    expect(checkTotp(state(), code, NOW)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses a replay of the accepted step and of any earlier one', () => {
    const first = checkTotp(state(), codeAt(NOW), NOW);
    expect(first.ok).toBe(true);
    const usedStep = (first as { usedStep: number }).usedStep;
    expect(checkTotp(state({ lastUsedStep: usedStep }), codeAt(NOW), NOW)).toEqual({ ok: false, reason: 'replayed' });
    expect(checkTotp(state({ lastUsedStep: usedStep }), codeAt(NOW - 30_000), NOW)).toEqual({
      ok: false,
      reason: 'replayed',
    });
    expect(checkTotp(state({ lastUsedStep: usedStep }), codeAt(NOW + 30_000), NOW).ok).toBe(true);
  });

  it('supports 60-second cards', () => {
    expect(checkTotp(state({ step: 60 }), codeAt(NOW - 60_000, 60), NOW).ok).toBe(true);
    expect(checkTotp(state({ step: 60 }), codeAt(NOW - 120_000, 60), NOW).ok).toBe(false);
  });

  it('re-synchronises a drifted card from two consecutive codes, then accepts it with the drift', () => {
    const drifted = NOW + 37 * 60_000; // the card runs 37 steps of 60 s ahead
    expect(checkTotp(state({ step: 60 }), codeAt(drifted, 60), NOW).ok).toBe(false);
    const result = resynchronise(state({ step: 60 }), codeAt(drifted - 60_000, 60), codeAt(drifted, 60), NOW);
    expect(result).toEqual({ drift: 37, usedStep: timeStepAt(drifted, 60) });
    const later = NOW + 5 * 60_000;
    const check = checkTotp(
      state({ step: 60, drift: result!.drift, lastUsedStep: result!.usedStep }),
      codeAt(later + 37 * 60_000, 60),
      later,
    );
    expect(check.ok).toBe(true);
  });

  it('does not re-synchronise from two codes that are not consecutive', () => {
    expect(resynchronise(state(), codeAt(NOW - 60_000), codeAt(NOW + 60_000), NOW)).toBeNull();
  });

  it('builds an otpauth URI for apps with a 30 s step', () => {
    const parsed = URI.parse(provisioningUri(SECRET, 'aidant@demo.procuration.test'));
    expect(parsed).toBeInstanceOf(TOTP);
    expect((parsed as TOTP).period).toBe(30);
    expect(parsed.secret.base32).toBe(SECRET);
    expect(parsed.issuer).toBe('Procuration');
  });
});

describe('SecretBox', () => {
  const box = new SecretBox('00'.repeat(16) + 'ff'.repeat(16));

  it('round-trips and never stores the plaintext', () => {
    const sealed = box.seal(SECRET, 'device-1');
    expect(sealed).not.toContain(SECRET);
    expect(sealed).not.toBe(box.seal(SECRET, 'device-1'));
    expect(box.open(sealed, 'device-1')).toBe(SECRET);
  });

  it('refuses a ciphertext moved to another row or tampered with', () => {
    const sealed = box.seal(SECRET, 'device-1');
    expect(() => box.open(sealed, 'device-2')).toThrow();
    const parts = sealed.split('.');
    const ciphertext = Buffer.from(parts[3]!, 'base64url');
    ciphertext[0] = ciphertext[0]! ^ 1;
    parts[3] = ciphertext.toString('base64url');
    expect(() => box.open(parts.join('.'), 'device-1')).toThrow();
  });
});
