import type { Request } from 'express';
import type { RequestFacts } from './journal.types.js';

export const USER_AGENT_MAX_LENGTH = 512;

/**
 * The facts of a request worth journaling: the client IP as Express sees it
 * (honouring TRUST_PROXY), the user agent (truncated) and the request id set
 * by the logger, so a journal entry can be matched with the log lines.
 */
export function requestFactsOf(req: Request): RequestFacts {
  const userAgent = req.get('user-agent');
  const id = (req as Request & { id?: unknown }).id;
  return {
    ip: req.ip ?? null,
    userAgent: userAgent ? userAgent.slice(0, USER_AGENT_MAX_LENGTH) : null,
    requestId: typeof id === 'string' || typeof id === 'number' ? String(id) : null,
  };
}
