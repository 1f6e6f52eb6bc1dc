import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { Id, IsoDateTime } from '@clearwork/contracts';
import { parseRequest, Roles } from '@clearwork/platform';
import { z } from 'zod';
import { DecisionsService } from '../decisions/decisions.service';

export const Search = z.object({
  taskId: Id.optional(),
  workerId: Id.optional(),
  policyVersion: z.coerce.number().int().min(1).optional(),
  mode: z.enum(['online', 'batch']).optional(),
  selected: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  from: IsoDateTime.optional(),
  to: IsoDateTime.optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});
export const Params = z.object({ id: Id });

/** Decisions for auditors: search, read with proof, replay under the recorded policy. */
@Controller('v1/decisions')
export class DecisionsController {
  constructor(@Inject(DecisionsService) private readonly decisions: DecisionsService) {}

  @Get()
  @Roles('auditor', 'reviewer')
  async search(@Query() query: unknown) {
    return { decisions: await this.decisions.search(parseRequest(Search, query, 'query')) };
  }

  @Get(':id')
  @Roles('auditor', 'reviewer')
  get(@Param() params: unknown) {
    return this.decisions.get(parseRequest(Params, params, 'path').id);
  }

  @Post(':id/replay')
  @HttpCode(200)
  @Roles('auditor', 'reviewer')
  replay(@Param() params: unknown) {
    return this.decisions.replay(parseRequest(Params, params, 'path').id);
  }
}
