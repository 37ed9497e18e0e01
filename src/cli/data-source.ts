/**
 * The DataSource for TypeORM's own CLI (`npm run migration:generate`): the
 * same definition as the service's, with the entities of every module, on
 * the configured database (the embedded one is started here, hence the
 * top-level await). Generated migrations are drafts: rewrite them as
 * readable SQL before committing.
 *
 * The service itself never needs this list: each module registers its own
 * entities (`TypeOrmModule.forFeature`, loaded by `autoLoadEntities`). The
 * generator does, so it lives here, at the top of the import graph, and
 * nowhere else imports it. Add a module's entities here when you add them.
 */
import { DataSource } from 'typeorm';
import { loadConfigFromProcess } from '../../config/config.js';
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
import { dataSourceOptions } from '../database/data-source-options.js';
import { openDatabase } from '../database/database-url.js';

const ENTITIES: Function[] = [
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

const config = loadConfigFromProcess();
const database = await openDatabase(config, 'command');

export default new DataSource({ ...dataSourceOptions(database.url, 1), entities: ENTITIES });
