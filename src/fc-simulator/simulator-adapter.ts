import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number | undefined;
}

/**
 * In-memory storage for the simulator's sessions, grants, codes, tokens and
 * clients. Acceptable here only because the simulator is a development and
 * test stand-in for an external system (FranceConnect) that keeps its own
 * state: nothing of Procuration lives in it, and losing it on restart only
 * signs the fictional identities out. One store per simulator instance (the
 * library's bundled memory adapter shares one store per process).
 */
export class SimulatorStore {
  readonly entries = new Map<string, Entry>();
  readonly byGrant = new Map<string, Set<string>>();
  readonly byUid = new Map<string, string>();

  adapterFor(model: string): Adapter {
    return new SimulatorAdapter(model, this);
  }
}

class SimulatorAdapter implements Adapter {
  constructor(private readonly model: string, private readonly store: SimulatorStore) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.key(id);
    this.store.entries.set(key, {
      payload: structuredClone(payload),
      expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined,
    });
    if (payload.grantId) {
      const keys = this.store.byGrant.get(payload.grantId) ?? new Set<string>();
      keys.add(key);
      this.store.byGrant.set(payload.grantId, keys);
    }
    if (payload.uid) this.store.byUid.set(payload.uid, id);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const key = this.key(id);
    const entry = this.store.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.store.entries.delete(key);
      return undefined;
    }
    return structuredClone(entry.payload);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = this.store.byUid.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(): Promise<AdapterPayload | undefined> {
    return undefined;
  }

  async consume(id: string): Promise<void> {
    const entry = this.store.entries.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.store.entries.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const key of this.store.byGrant.get(grantId) ?? []) this.store.entries.delete(key);
    this.store.byGrant.delete(grantId);
  }
}
