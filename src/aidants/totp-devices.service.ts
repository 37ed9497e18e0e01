import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { IsNull, type EntityManager } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { Clock } from '../clock/clock.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { ValidationError } from '../shared/domain-error.js';
import type { Actor } from '../structures/actor.js';
import { TotpCardUnavailableError } from './aidants.errors.js';
import { SecretBox } from './secret-box.js';
import { TotpDevice } from './totp-device.entity.js';
import { checkTotp, isBase32Secret, resynchronise, TOTP_STEPS, type TotpStep } from './totp.js';

export type TotpVerification =
  | { ok: true; deviceId: string; kind: 'card' | 'app' }
  | { ok: false; reason: 'no_device' | 'invalid' | 'replayed' };

export interface NewCard {
  serial: string;
  seed: string;
  step: number;
}

/** TOTP cards and apps: registration, assignment, verification (single use), re-synchronisation. */
@Injectable()
export class TotpDevicesService {
  private readonly box: SecretBox;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly journal: JournalService,
    private readonly clock: Clock,
  ) {
    this.box = new SecretBox(config.totpEncryptionKey);
  }

  /** A card put in stock by an operator (not yet given to anyone). */
  async registerCard(manager: EntityManager, card: NewCard, actor: Actor): Promise<TotpDevice> {
    const serial = card.serial.trim();
    const seed = card.seed.trim().replace(/\s/g, '').toUpperCase();
    const fields: Record<string, string> = {};
    if (!/^[A-Za-z0-9-]{1,64}$/.test(serial)) fields.serial = 'Le numéro de série doit contenir 1 à 64 lettres, chiffres ou tirets.';
    if (!isBase32Secret(seed)) fields.seed = 'La graine doit être en base32 (16 à 128 caractères A-Z, 2-7).';
    if (!(TOTP_STEPS as readonly number[]).includes(card.step)) fields.step = 'Le pas doit être de 30 ou 60 secondes.';
    if (Object.keys(fields).length > 0) throw new ValidationError(fields);
    if (await manager.existsBy(TotpDevice, { serial })) {
      throw new TotpCardUnavailableError(`La carte ${serial} est déjà enregistrée.`, 'card serial already registered');
    }
    const id = randomUUID();
    const device = await manager.save(
      manager.create(TotpDevice, {
        id,
        kind: 'card',
        serial,
        aidantId: null,
        secretSealed: this.box.seal(seed, id),
        step: card.step as TotpStep,
        drift: 0,
        lastUsedStep: null,
        assignedAt: null,
        revokedAt: null,
      }),
    );
    await this.journal.append(manager, {
      action: 'totp_card.registered',
      structureId: null,
      actor,
      details: { serial, step: device.step, assigned: false },
    });
    return device;
  }

  /** Gives a card in stock to an aidant; a code read on the card proves it is in hand. */
  async assignCard(
    manager: EntityManager,
    structureId: string,
    aidantId: string,
    serial: string,
    code: string,
    actor: Actor,
    request?: RequestFacts,
  ): Promise<void> {
    const card = await manager.findOne(TotpDevice, { where: { serial: serial.trim(), kind: 'card' }, lock: { mode: 'pessimistic_write' } });
    if (!card || card.aidantId !== null || card.revokedAt !== null) {
      throw new TotpCardUnavailableError(
        'Cette carte n’existe pas, est déjà attribuée ou a été désactivée.',
        'card unavailable for assignment',
      );
    }
    const check = checkTotp(this.stateOf(card), code, this.clock.nowMs());
    if (!check.ok) {
      throw new ValidationError({ totp: 'Ce code ne correspond pas à la carte : saisissez le code affiché maintenant.' });
    }
    await manager.update(
      TotpDevice,
      { id: card.id },
      { aidantId, assignedAt: this.clock.now(), lastUsedStep: check.usedStep },
    );
    await this.journal.append(manager, {
      action: 'totp_card.registered',
      structureId,
      actor,
      subjects: { aidantId },
      request,
      details: { serial: card.serial!, step: card.step, assigned: true },
    });
  }

  /** Registers an authenticator app whose seed was shown to the aidant, once a first code matches. */
  async enrolApp(manager: EntityManager, aidantId: string, secret: string, code: string): Promise<boolean> {
    const id = randomUUID();
    const check = checkTotp({ secret, step: 30, drift: 0, lastUsedStep: null }, code, this.clock.nowMs());
    if (!check.ok) return false;
    // A new app replaces the previous ones (lost phone, password reset).
    await manager.update(TotpDevice, { aidantId, kind: 'app', revokedAt: IsNull() }, { revokedAt: this.clock.now() });
    await manager.save(
      manager.create(TotpDevice, {
        id,
        kind: 'app',
        serial: null,
        aidantId,
        secretSealed: this.box.seal(secret, id),
        step: 30,
        drift: 0,
        lastUsedStep: check.usedStep,
        assignedAt: this.clock.now(),
        revokedAt: null,
      }),
    );
    return true;
  }

  /** An app whose seed is already known (demo accounts and tests only: no first code). */
  async enrolKnownSecret(manager: EntityManager, aidantId: string, secret: string): Promise<void> {
    if (!isBase32Secret(secret)) throw new ValidationError({ seed: 'La graine doit être en base32.' });
    const id = randomUUID();
    await manager.save(
      manager.create(TotpDevice, {
        id,
        kind: 'app',
        serial: null,
        aidantId,
        secretSealed: this.box.seal(secret, id),
        step: 30,
        drift: 0,
        lastUsedStep: null,
        assignedAt: this.clock.now(),
        revokedAt: null,
      }),
    );
  }

  /** Checks a code against the aidant's live devices and consumes its time step. */
  async verify(manager: EntityManager, aidantId: string, code: string): Promise<TotpVerification> {
    const devices = await manager.find(TotpDevice, {
      where: { aidantId, revokedAt: IsNull() },
      lock: { mode: 'pessimistic_write' },
    });
    if (devices.length === 0) return { ok: false, reason: 'no_device' };
    let replayed = false;
    for (const device of devices) {
      const check = checkTotp(this.stateOf(device), code, this.clock.nowMs());
      if (check.ok) {
        await manager.update(TotpDevice, { id: device.id }, { lastUsedStep: check.usedStep });
        return { ok: true, deviceId: device.id, kind: device.kind };
      }
      replayed ||= check.reason === 'replayed';
    }
    return { ok: false, reason: replayed ? 'replayed' : 'invalid' };
  }

  /**
   * Re-synchronises a drifted card from two consecutive codes. `owner` (a
   * référent's request) limits it to the card of that aidant in that structure.
   */
  async resynchroniseCard(
    manager: EntityManager,
    serial: string,
    first: string,
    second: string,
    actor: Actor,
    owner: { structureId: string; aidantId: string } | null = null,
    request?: RequestFacts,
  ): Promise<void> {
    const card = await manager.findOne(TotpDevice, { where: { serial: serial.trim(), kind: 'card' }, lock: { mode: 'pessimistic_write' } });
    if (!card || card.revokedAt !== null || (owner !== null && card.aidantId !== owner.aidantId)) {
      throw new TotpCardUnavailableError('Cette carte n’existe pas ou a été désactivée.', 'card unavailable for resync');
    }
    const found = resynchronise(this.stateOf(card), first, second, this.clock.nowMs());
    if (!found || (card.lastUsedStep !== null && found.usedStep <= card.lastUsedStep)) {
      throw new ValidationError({
        totp: 'Ces deux codes ne sont pas deux codes successifs de la carte : saisissez deux codes affichés l’un après l’autre.',
      });
    }
    await manager.update(TotpDevice, { id: card.id }, { drift: found.drift, lastUsedStep: found.usedStep });
    await this.journal.append(manager, {
      action: 'totp_card.resynchronised',
      structureId: owner?.structureId ?? null,
      actor,
      subjects: card.aidantId ? { aidantId: card.aidantId } : undefined,
      request,
      details: { serial: card.serial!, driftSteps: found.drift },
    });
  }

  /** Cards and apps of an aidant that still work. */
  async liveDevicesOf(manager: EntityManager, aidantId: string) {
    const devices = await manager.find(TotpDevice, { where: { aidantId, revokedAt: IsNull() }, order: { createdAt: 'ASC' } });
    return devices.map((d) => ({ id: d.id, kind: d.kind, serial: d.serial, step: d.step }));
  }

  /**
   * Disables a card (lost, broken): its codes are refused from now on.
   * `owner` (a référent's request) limits it to the card of that aidant, and
   * journals it in that structure's chain.
   */
  async revokeCard(
    manager: EntityManager,
    serial: string,
    actor: Actor,
    owner: { structureId: string; aidantId: string } | null = null,
    request?: RequestFacts,
  ): Promise<void> {
    const card = await manager.findOne(TotpDevice, { where: { serial: serial.trim(), kind: 'card' }, lock: { mode: 'pessimistic_write' } });
    if (!card || card.revokedAt !== null || (owner !== null && card.aidantId !== owner.aidantId)) {
      throw new TotpCardUnavailableError('Cette carte n’existe pas ou est déjà désactivée.', 'card unavailable for revocation');
    }
    await manager.update(TotpDevice, { id: card.id }, { revokedAt: this.clock.now() });
    await this.journal.append(manager, {
      action: 'totp_card.revoked',
      structureId: owner?.structureId ?? null,
      actor,
      subjects: card.aidantId ? { aidantId: card.aidantId } : undefined,
      request,
      details: { serial: card.serial! },
    });
  }

  /** Seals a seed kept in a session during enrolment (the session table is at rest too). */
  sealPending(secret: string, context: string): string {
    return this.box.seal(secret, `pending:${context}`);
  }

  openPending(sealed: string, context: string): string {
    return this.box.open(sealed, `pending:${context}`);
  }

  private stateOf(device: TotpDevice) {
    return {
      secret: this.box.open(device.secretSealed, device.id),
      step: device.step,
      drift: device.drift,
      lastUsedStep: device.lastUsedStep,
    };
  }
}
