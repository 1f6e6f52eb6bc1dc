import type { CapacityLedger } from './capacity-ledger';

/**
 * Capacity slots taken in Redis during one database transaction. Redis cannot join the
 * transaction, so if it rolls back the slots are handed back; if it commits they stay taken.
 */
export class SlotClaims {
  private readonly claimed: string[] = [];
  private readonly released: string[] = [];
  private readonly lostClaimsAtStart: number;

  constructor(private readonly ledger: CapacityLedger) {
    this.lostClaimsAtStart = ledger.lostClaims;
  }

  async claim(workerId: string, capacity: number): Promise<boolean> {
    const ok = await this.ledger.claim(workerId, capacity);
    if (ok) this.claimed.push(workerId);
    return ok;
  }

  /** Several claims in one round trip, in order (see CapacityLedger.claimMany): whether each was taken. */
  async claimMany(claims: readonly { workerId: string; capacity: number }[]): Promise<boolean[]> {
    const granted = await this.ledger.claimMany(claims);
    claims.forEach((c, i) => {
      if (granted[i]) this.claimed.push(c.workerId);
    });
    return granted;
  }

  /** Hands back at once slots this unit claimed and will not use (one per entry). */
  async giveBack(workerIds: readonly string[]): Promise<void> {
    if (workerIds.length === 0) return;
    for (const id of workerIds) {
      const at = this.claimed.lastIndexOf(id);
      if (at < 0) throw new Error(`no slot of worker ${id} was claimed in this unit`);
      this.claimed.splice(at, 1);
    }
    await this.ledger.releaseMany(workerIds);
  }

  /** Frees a slot only once the transaction has committed. */
  releaseAfterCommit(workerId: string): void {
    this.released.push(workerId);
  }

  async committed(): Promise<void> {
    await this.ledger.releaseMany(this.released);
    if (this.ledger.lostClaims !== this.lostClaimsAtStart) this.ledger.onWaitedWhileLost?.();
  }

  async rolledBack(): Promise<void> {
    await this.ledger.releaseMany(this.claimed);
  }
}
