import { Injectable } from '@nestjs/common';
import type { Session, SessionData } from 'express-session';
import QRCode from 'qrcode';
import { TransactionRunner } from '../database/transaction-runner.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { hashToken, InvitationsService } from './invitations.service.js';
import { TotpDevicesService } from './totp-devices.service.js';
import { newTotpSecret, provisioningUri } from './totp.js';

type SessionWithData = Session & Partial<SessionData>;

/** The invitation page: the seed proposed to the app lives (sealed) in the session until accepted. */
@Injectable()
export class InvitationPagesService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly invitations: InvitationsService,
    private readonly devices: TotpDevicesService,
  ) {}

  async model(token: string, session: SessionWithData) {
    const { aidant } = await this.transactions.run((m) => this.invitations.open(m, token));
    const secret = this.pendingSecret(token, session);
    const qrDataUri = await QRCode.toDataURL(provisioningUri(secret, aidant.email), { margin: 1, width: 220 });
    return {
      pageTitle: 'Activer votre compte',
      token,
      givenName: aidant.givenName,
      familyName: aidant.familyName,
      qrDataUri,
      secretGroups: secret.match(/.{1,4}/g)!.join(' '),
    };
  }

  async accept(
    token: string,
    session: SessionWithData,
    input: { password: string; confirmation: string; totp: string },
    request: RequestFacts,
  ): Promise<void> {
    const secret = this.pendingSecret(token, session);
    await this.transactions.run((m) => this.invitations.accept(m, token, { ...input, secret }, request));
    delete session.enrolment;
  }

  private pendingSecret(token: string, session: SessionWithData): string {
    const tokenHash = hashToken(token);
    if (session.enrolment?.tokenHash === tokenHash) {
      return this.devices.openPending(session.enrolment.sealedSecret, tokenHash);
    }
    const secret = newTotpSecret();
    session.enrolment = { tokenHash, sealedSecret: this.devices.sealPending(secret, tokenHash) };
    return secret;
  }
}
