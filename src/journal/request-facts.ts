// Placeholder of the journal's contract until branch `journal` is merged (taken from theirs on merge).
import type { Request } from 'express';
import type { RequestFacts } from './journal.types.js';

export function requestFactsOf(req: Request): RequestFacts {
  return { ip: req.ip, userAgent: String(req.headers['user-agent'] ?? '').slice(0, 512), requestId: String(req.id ?? '') };
}
