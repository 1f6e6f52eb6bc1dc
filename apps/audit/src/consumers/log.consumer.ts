import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type DecisionEvent, type OfferEvent } from '@clearwork/contracts';
import { DecisionLog } from '../log/decision-log';

/** Decision records and offer outcomes, appended to the log as they arrive. */
@Controller()
export class LogConsumer {
  constructor(@Inject(DecisionLog) private readonly log: DecisionLog) {}

  @EventPattern(TOPICS.decisions)
  onDecision(@Payload() event: DecisionEvent): Promise<void> {
    return this.log.append(TOPICS.decisions, event);
  }

  @EventPattern(TOPICS.offers)
  onOffer(@Payload() event: OfferEvent): Promise<void> {
    return this.log.append(TOPICS.offers, event);
  }
}
