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
