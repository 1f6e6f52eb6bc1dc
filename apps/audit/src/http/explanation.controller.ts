import { Controller, Get, Inject, Param } from '@nestjs/common';
import { Id } from '@clearwork/contracts';
import { assertMayRead, CurrentPrincipal, parseRequest, Roles, type Principal } from '@clearwork/platform';
import { z } from 'zod';
import { ExplanationService, type WorkerExplanation } from '../explanations/explanation.service';

export const Params = z.object({ workerId: Id, taskId: Id });

/** "Why did I (not) get this task?" */
@Controller('v1/workers/:workerId/tasks/:taskId')
export class ExplanationController {
  constructor(@Inject(ExplanationService) private readonly explanations: ExplanationService) {}

  @Get('explanation')
  @Roles('worker', 'auditor', 'reviewer', 'platform')
  explain(@Param() params: unknown, @CurrentPrincipal() principal: Principal): Promise<WorkerExplanation> {
    const { workerId, taskId } = parseRequest(Params, params, 'path');
    assertMayRead(principal, workerId);
    return this.explanations.explain(workerId, taskId);
  }
}
