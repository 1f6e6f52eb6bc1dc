import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { Id } from '@clearwork/contracts';
import { CurrentPrincipal, parseRequest, Roles, type Principal } from '@clearwork/platform';
import { z } from 'zod';
import { AppealQuery, AppealRequest, AppealResolution } from '../appeals/appeal-schemas';
import { AppealsService } from '../appeals/appeals.service';

export const DecisionParams = z.object({ decisionId: Id });
export const AppealParams = z.object({ id: z.uuid() });

/** Human review: workers contest decisions, reviewers take and resolve the appeals. */
@Controller('v1')
export class AppealsController {
  constructor(@Inject(AppealsService) private readonly appeals: AppealsService) {}

  @Post('decisions/:decisionId/appeals')
  @Roles('worker')
  file(@Param() params: unknown, @Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    const { decisionId } = parseRequest(DecisionParams, params, 'path');
    const { statement } = parseRequest(AppealRequest, body, 'appeal');
    return this.appeals.file(principal.sub, decisionId, statement);
  }

  @Get('appeals')
  @Roles('reviewer', 'auditor')
  async list(@Query() query: unknown) {
    const { status, limit } = parseRequest(AppealQuery, query, 'query');
    return { appeals: await this.appeals.list(status, limit) };
  }

  @Post('appeals/:id/take')
  @HttpCode(200)
  @Roles('reviewer')
  take(@Param() params: unknown, @CurrentPrincipal() principal: Principal) {
    const { id } = parseRequest(AppealParams, params, 'path');
    return this.appeals.take(id, principal.sub);
  }

  @Post('appeals/:id/resolution')
  @HttpCode(200)
  @Roles('reviewer')
  resolve(@Param() params: unknown, @Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    const { id } = parseRequest(AppealParams, params, 'path');
    const resolution = parseRequest(AppealResolution, body, 'resolution');
    return this.appeals.resolve(id, principal.sub, resolution);
  }
}
