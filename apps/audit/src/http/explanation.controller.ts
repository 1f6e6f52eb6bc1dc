import { BadRequestException, Controller, Get, Inject, NotFoundException, Param } from '@nestjs/common';
import { Id, describeIssues } from '@clearwork/contracts';
import { explainOutcome, type Explanation } from '@clearwork/matching-core';
import { DEFAULT_POLICY } from '@clearwork/scoring-core';
import { assertMayRead, CurrentPrincipal, Roles, type Principal } from '@clearwork/platform';
import { DecisionLog } from '../log/decision-log';

/** "Why did I (not) get this task?" */
@Controller('v1/workers/:workerId/tasks/:taskId')
export class ExplanationController {
  constructor(@Inject(DecisionLog) private readonly log: DecisionLog) {}

  @Get('explanation')
  @Roles('worker', 'auditor', 'reviewer', 'platform')
  async explain(@Param('workerId') workerId: string, @Param('taskId') taskId: string, @CurrentPrincipal() principal: Principal): Promise<Explanation & { workerId: string; taskId: string; weights: Record<string, number> }> {
    for (const [field, value] of [['workerId', workerId], ['taskId', taskId]] as const) {
      const parsed = Id.safeParse(value);
      if (!parsed.success) throw new BadRequestException({ field, issues: describeIssues(parsed.error) });
    }
    assertMayRead(principal, workerId);
    const decisions = await this.log.decisionsFor(taskId);
    if (decisions.length === 0) throw new NotFoundException(`no decision has been recorded for task ${taskId}`);
    const types = await this.log.offerTypesFor(taskId, workerId);
    const answer = explainOutcome(workerId, decisions, {
      assigned: types.has('TaskAssigned'),
      expired: types.has('OfferExpired'),
      declined: false,
    });
    return { workerId, taskId, ...answer, weights: { ...DEFAULT_POLICY.weights } };
  }
}
