import 'express-session';
import type { SessionData } from 'express-session';
import type { PendingMandate } from './pending-mandate.js';

/**
 * The counter wizard's state between its steps: the mandate being opened,
 * or none. Controllers load it from the session, hand it to the wizard's
 * service as a value and save what the service returns; this is the one
 * place that knows where the session keeps it.
 */
export interface MandateWizardState {
  pending: PendingMandate | null;
}

declare module 'express-session' {
  interface SessionData {
    pendingMandate?: PendingMandate;
  }
}

export function loadWizardState(session: Partial<SessionData> | undefined): MandateWizardState {
  return { pending: session?.pendingMandate ?? null };
}

export function saveWizardState(session: Partial<SessionData>, state: MandateWizardState): void {
  if (state.pending) session.pendingMandate = state.pending;
  else delete session.pendingMandate;
}

/** Abandons the wizard: the next "Nouveau mandat" starts afresh. */
export function clearWizardState(session: Partial<SessionData>): void {
  saveWizardState(session, { pending: null });
}
