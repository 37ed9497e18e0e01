import { describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { ManualClock } from '../clock/clock.js';
import { safeNext } from './aidant-session.controller.js';
import { ActingAidantGuard, RecentTotpGuard } from './aidant-session.guard.js';
import { TotpReauthRequiredError } from './totp-reauth.errors.js';

function contextFor(totpAt: number, method = 'GET', originalUrl = '/aidant/mandats/1/revocation'): ExecutionContext {
  const req = { method, originalUrl, aidantActor: { totpAt } };
  return { switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
}

describe('RecentTotpGuard', () => {
  const clock = new ManualClock(new Date('2026-11-23T10:00:00Z'));
  const guard = new RecentTotpGuard(clock);

  it('lets a code younger than 15 minutes through', () => {
    expect(guard.canActivate(contextFor(clock.nowMs() - 14 * 60_000))).toBe(true);
  });

  it('asks for a fresh code after 15 minutes, coming back to the page afterwards', () => {
    let error: unknown;
    try {
      guard.canActivate(contextFor(clock.nowMs() - 16 * 60_000));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TotpReauthRequiredError);
    expect((error as TotpReauthRequiredError).next).toBe('/aidant/mandats/1/revocation');
    expect((error as TotpReauthRequiredError).status).toBe(403);
    expect((error as TotpReauthRequiredError).userMessage).toContain('/aidant/reauthentification?suite=%2Faidant%2Fmandats%2F1%2Frevocation');
  });
});

describe('ActingAidantGuard', () => {
  const guard = new ActingAidantGuard();
  const ctx = (canOpenMandates: boolean) =>
    ({ switchToHttp: () => ({ getRequest: () => ({ aidantActor: { canOpenMandates } }) }) }) as unknown as ExecutionContext;

  it('lets aidants open mandates and refuses a référent who is not an aidant', () => {
    expect(guard.canActivate(ctx(true))).toBe(true);
    expect(() => guard.canActivate(ctx(false))).toThrow('not an aidant of the structure');
  });
});

describe('safeNext', () => {
  it.each([
    ['/aidant/mandats/1', '/aidant/mandats/1'],
    ['//evil.example', '/aidant'],
    ['/\\evil.example', '/aidant'],
    ['https://evil.example', '/aidant'],
    [['/a', '/b'], '/aidant'],
    [undefined, '/aidant'],
  ])('follows %j to %j', (input, expected) => {
    expect(safeNext(input)).toBe(expected);
  });
});
