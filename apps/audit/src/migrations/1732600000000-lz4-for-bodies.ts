import { setCompression } from '@clearwork/platform';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Entries' canonical JSON is compressed with lz4 instead of PostgreSQL's default pglz when it is
 * long enough to be compressed at all (about 2 KB: a decision with its candidates is about 4 KB),
 * as the dispatcher's decision records are (see its migration Lz4ForRecords1733100000000). The
 * stored bytes read back are the same; only how they are kept on disk changes. A PostgreSQL built
 * without lz4 keeps pglz.
 */
export class Lz4ForBodies1732600000000 implements MigrationInterface {
  name = 'Lz4ForBodies1732600000000';

  async up(q: QueryRunner): Promise<void> {
    await setCompression(q, ['audit.entries.body'], 'lz4');
  }

  async down(q: QueryRunner): Promise<void> {
    await setCompression(q, ['audit.entries.body'], 'default');
  }
}
