import { Initial1732300000000 } from './1732300000000-initial';
import { MerkleLog1732400000000 } from './1732400000000-merkle-log';
import { CandidatesByPosition1732500000000 } from './1732500000000-candidates-by-position';
import { Lz4ForBodies1732600000000 } from './1732600000000-lz4-for-bodies';
import { CandidatesByWorker1732700000000 } from './1732700000000-candidates-by-worker';
import { EntriesIndexedWhereSet1732800000000 } from './1732800000000-entries-indexed-where-set';
import { CandidatesWithoutEntryIds1733200000000 } from './1733200000000-candidates-without-entry-ids';
import { PresenceInBuckets1733400000000 } from './1733400000000-presence-in-buckets';
import { PresenceOverflow1733600000000 } from './1733600000000-presence-overflow';

/** The audit schema's migrations, in order. */
export const AUDIT_MIGRATIONS = [Initial1732300000000, MerkleLog1732400000000, CandidatesByPosition1732500000000, Lz4ForBodies1732600000000, CandidatesByWorker1732700000000, EntriesIndexedWhereSet1732800000000, CandidatesWithoutEntryIds1733200000000, PresenceInBuckets1733400000000, PresenceOverflow1733600000000];
