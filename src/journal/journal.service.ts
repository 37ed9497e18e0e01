// Placeholder of the journal's contract until branch `journal` is merged (taken from theirs on merge).
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { JournalAction, JournalActionDetails } from './journal.actions.js';
import type { RequestFacts } from './journal.types.js';

export interface AppendInput<A extends JournalAction> {
  action: A;
  structureId: string | null;
  actor: { type: 'aidant' | 'usager' | 'operator' | 'partner' | 'system'; id: string | null };
  subjects?: { usagerId?: string; mandateId?: string; aidantId?: string; partnerId?: string };
  demarche?: string | null;
  request?: RequestFacts;
  details: JournalActionDetails[A];
}

@Injectable()
export class JournalService {
  async append<A extends JournalAction>(_manager: EntityManager, _input: AppendInput<A>): Promise<{ id: string }> {
    return { id: randomUUID() };
  }
}
