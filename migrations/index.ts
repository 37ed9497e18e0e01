import { ServiceKeys1764000000000 } from './1764000000000-service-keys.js';
import { Journal1764100000000 } from './1764100000000-journal.js';
import { StructuresAndAidants1764200000000 } from './1764200000000-structures-and-aidants.js';
import { HttpSessions1764200001000 } from './1764200001000-http-sessions.js';
import { MailOutbox1764200002000 } from './1764200002000-mail-outbox.js';
import { FranceConnectTransactions1764400000000 } from './1764400000000-franceconnect-transactions.js';
import { Usagers1764400001000 } from './1764400001000-usagers.js';
import { Mandates1764500000000 } from './1764500000000-mandates.js';
import { MandatesUsagerKey1764500001000 } from './1764500001000-mandates-usager-key.js';
import { Provider1764600000000 } from './1764600000000-provider.js';
import { JournalPartnerIndex1764700000000 } from './1764700000000-journal-partner-index.js';
import { JournalPendingDeletePerStatement1765000000000 } from './1765000000000-journal-pending-delete-per-statement.js';
import { JournalUseCounts1765100000000 } from './1765100000000-journal-use-counts.js';
import { JournalChainUsagerIndex1765100000001 } from './1765100000001-journal-chain-usager-index.js';
import { UsagerNameWords1765300000001 } from './1765300000001-usager-name-words.js';
import { MembershipInvitations1766000000000 } from './1766000000000-membership-invitations.js';
import { HttpSessionsOwner1766010000000 } from './1766010000000-http-sessions-owner.js';
import { Attestations1766020000000 } from './1766020000000-attestations.js';
import { PartnerScopes1766050000000 } from './1766050000000-partner-scopes.js';
import { MandateEndParisCalendarDays1766060400000 } from './1766060400000-mandate-end-paris-calendar-days.js';
import { MandatesEndedIndex1766080000000 } from './1766080000000-mandates-ended-index.js';
import { MandatesRunningIndex1766090000000 } from './1766090000000-mandates-running-index.js';
import { Notices1766100000000 } from './1766100000000-notices.js';
import { JournalMerkleNodes1766110000000 } from './1766110000000-journal-merkle-nodes.js';
import { JournalCheckpointNotes1766110001000 } from './1766110001000-journal-checkpoint-notes.js';
import { JournalWitnessCosignatures1766120000000 } from './1766120000000-journal-witness-cosignatures.js';
import { ConsentRequests1766130000000 } from './1766130000000-consent-requests.js';
import { JournalTreeV21766140000000 } from './1766140000000-journal-tree-v2.js';
import { ConsentCodeKeyedDigest1766170000000 } from './1766170000000-consent-code-keyed-digest.js';

/**
 * Every migration, in order. Listed explicitly (not by file glob) so that the
 * compiled service, the migration commands and the tests run the same set.
 */
export const MIGRATIONS = [
  ServiceKeys1764000000000,
  Journal1764100000000,
  StructuresAndAidants1764200000000,
  HttpSessions1764200001000,
  MailOutbox1764200002000,
  FranceConnectTransactions1764400000000,
  Usagers1764400001000,
  Mandates1764500000000,
  MandatesUsagerKey1764500001000,
  Provider1764600000000,
  JournalPartnerIndex1764700000000,
  JournalPendingDeletePerStatement1765000000000,
  JournalUseCounts1765100000000,
  JournalChainUsagerIndex1765100000001,
  UsagerNameWords1765300000001,
  MembershipInvitations1766000000000,
  HttpSessionsOwner1766010000000,
  Attestations1766020000000,
  PartnerScopes1766050000000,
  MandateEndParisCalendarDays1766060400000,
  MandatesEndedIndex1766080000000,
  MandatesRunningIndex1766090000000,
  Notices1766100000000,
  JournalMerkleNodes1766110000000,
  JournalCheckpointNotes1766110001000,
  JournalWitnessCosignatures1766120000000,
  ConsentRequests1766130000000,
  JournalTreeV21766140000000,
  ConsentCodeKeyedDigest1766170000000,
];
