import { Initial1732300000000 } from './1732300000000-initial';
import { MerkleLog1732400000000 } from './1732400000000-merkle-log';

/** The audit schema's migrations, in order. */
export const AUDIT_MIGRATIONS = [Initial1732300000000, MerkleLog1732400000000];
