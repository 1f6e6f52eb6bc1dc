import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type PolicyEvent } from '@clearwork/contracts';
import { DeadLetterError } from '@clearwork/platform';
import { DispatchPolicy } from '../policies/dispatch-policy';

/** `gig.policies.v1`: new weights and dispatch parameters take effect for the next decision. */
@Controller()
export class PoliciesConsumer {
  constructor(@Inject(DispatchPolicy) private readonly policy: DispatchPolicy) {}

  @EventPattern(TOPICS.policies)
  async handle(@Payload() event: PolicyEvent): Promise<void> {
    const result = await this.policy.published(event);
    if (!result.ok) throw new DeadLetterError(result.reason);
  }
}
