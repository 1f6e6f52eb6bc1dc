import { RpcException } from '@nestjs/microservices';
import type { ValidationIssue } from '@clearwork/contracts';

export interface DeadLetterVerdict {
  readonly deadLetter: true;
  readonly reason: string;
  readonly issues: ValidationIssue[];
}

/**
 * Thrown by a handler for a message that is well-formed but can never be processed (for
 * example an event that contradicts what is known). The consumer dead-letters it and moves on;
 * any other error is treated as transient and the message is retried.
 */
export class DeadLetterError extends RpcException {
  constructor(reason: string, issues: ValidationIssue[] = []) {
    super({ deadLetter: true, reason, issues } satisfies DeadLetterVerdict);
  }
}

export function isDeadLetterVerdict(value: unknown): value is DeadLetterVerdict {
  return typeof value === 'object' && value !== null && (value as DeadLetterVerdict).deadLetter === true;
}
