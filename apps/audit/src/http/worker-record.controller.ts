import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { Id } from '@clearwork/contracts';
import { assertMayRead, CurrentPrincipal, parseRequest, Roles, type Principal } from '@clearwork/platform';
import type { Response } from 'express';
import { z } from 'zod';
import { WorkerRecordService } from '../workers/worker-record.service';

export const Params = z.object({ workerId: Id });
export const DecisionsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1_000).default(200) });
export const ExportQuery = z.object({ format: z.enum(['json', 'csv']).default('json') });

/** A worker's own record: the decisions about them and their portable export. */
@Controller('v1/workers/:workerId')
export class WorkerRecordController {
  constructor(@Inject(WorkerRecordService) private readonly records: WorkerRecordService) {}

  @Get('decisions')
  @Roles('worker', 'auditor', 'reviewer', 'platform')
  async decisions(@Param() params: unknown, @Query() query: unknown, @CurrentPrincipal() principal: Principal) {
    const { workerId } = parseRequest(Params, params, 'path');
    const { limit } = parseRequest(DecisionsQuery, query, 'query');
    assertMayRead(principal, workerId);
    return { workerId, decisions: await this.records.decisions(workerId, limit) };
  }

  @Get('export')
  @Roles('worker', 'auditor', 'reviewer', 'platform')
  async export(@Param() params: unknown, @Query() query: unknown, @CurrentPrincipal() principal: Principal, @Res() res: Response): Promise<void> {
    const { workerId } = parseRequest(Params, params, 'path');
    const { format } = parseRequest(ExportQuery, query, 'query');
    assertMayRead(principal, workerId);
    const record = await this.records.record(workerId);
    if (format === 'csv') {
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="clearwork-record-${workerId}.csv"`);
      res.send(this.records.toCsv(record));
      return;
    }
    res.setHeader('content-disposition', `attachment; filename="clearwork-record-${workerId}.json"`);
    res.json(record);
  }
}
