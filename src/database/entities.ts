/**
 * Every entity of the service, for TypeORM's migration generator only (the
 * service itself registers each module's entities through
 * `TypeOrmModule.forFeature`). Add a module's entities here when you add them.
 */
import { Aidant } from '../aidants/aidant.entity.js';
import { Invitation } from '../aidants/invitation.entity.js';
import { Membership } from '../aidants/membership.entity.js';
import { MembershipInvitation } from '../aidants/membership-invitation.entity.js';
import { SignInThrottle } from '../aidants/sign-in-throttle.entity.js';
import { TotpDevice } from '../aidants/totp-device.entity.js';
import { FranceConnectTransaction } from '../franceconnect/franceconnect-transaction.entity.js';
import { Autorisation } from '../mandates/autorisation.entity.js';
import { MandateConsent } from '../mandates/mandate-consent.entity.js';
import { Mandate } from '../mandates/mandate.entity.js';
import { Structure } from '../structures/structure.entity.js';
import { Usager } from '../usagers/usager.entity.js';

export const ENTITIES: Function[] = [
  Structure,
  Aidant,
  Membership,
  MembershipInvitation,
  Invitation,
  SignInThrottle,
  TotpDevice,
  FranceConnectTransaction,
  Usager,
  Mandate,
  MandateConsent,
  Autorisation,
];
