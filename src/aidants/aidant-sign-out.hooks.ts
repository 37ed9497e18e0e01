import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export type AidantSignOutHook = (m: EntityManager, aidantId: string) => Promise<void>;

/**
 * What else ends when an aidant signs out of Procuration, run in the
 * sign-out's transaction. Modules that depend on the aidants module register
 * here (the provider face ends the aidant's partner sign-ins), so that this
 * module needs none of them.
 */
@Injectable()
export class AidantSignOutHooks {
  private readonly hooks: AidantSignOutHook[] = [];

  register(hook: AidantSignOutHook): void {
    this.hooks.push(hook);
  }

  async run(m: EntityManager, aidantId: string): Promise<void> {
    for (const hook of this.hooks) await hook(m, aidantId);
  }
}
