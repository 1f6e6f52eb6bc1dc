import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A declined offer's replica is offered again after the decline commits, outside the unit that
 * applied it (see TaskLifecycle.offersDeclinedIn). Until then the replica is `offered` with no
 * open offer; if the dispatcher stops in between, a periodic sweep finds such replicas and
 * attempts them (TaskStore.replicasBetweenOffers). The sweep reads this partial index, which
 * holds only the replicas out on offer (a few thousand under load), never the whole table.
 */
export class ReplicasBetweenOffers1733000000000 implements MigrationInterface {
  name = 'ReplicasBetweenOffers1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX task_replicas_offered ON dispatcher.task_replicas (task_id, replica) WHERE state = 'offered'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS dispatcher.task_replicas_offered`);
  }
}
