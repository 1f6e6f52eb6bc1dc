import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { outcomeReportCsv } from '@clearwork/audit-core';
import { IsoDateTime, Tag } from '@clearwork/contracts';
import { parseRequest, Roles } from '@clearwork/platform';
import type { Response } from 'express';
import { z } from 'zod';
import { OutcomeReportsService } from '../reports/outcome-reports.service';

export const Query_ = z
  .object({ attribute: Tag, from: IsoDateTime, to: IsoDateTime, format: z.enum(['json', 'csv']).default('json') })
  .refine((q) => Date.parse(q.from) < Date.parse(q.to), { message: 'from must be before to', path: ['from'] });

/** Outcome reports for auditors: selection rates per cohort group, four-fifths flags, concentration. */
@Controller('v1/reports')
export class ReportsController {
  constructor(@Inject(OutcomeReportsService) private readonly reports: OutcomeReportsService) {}

  @Get('outcomes')
  @Roles('auditor')
  async outcomes(@Query() query: unknown, @Res() res: Response): Promise<void> {
    const q = parseRequest(Query_, query, 'query');
    const report = await this.reports.report(q.attribute, q.from, q.to);
    if (q.format === 'csv') {
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="outcomes-${q.attribute}.csv"`);
      res.send(outcomeReportCsv(report));
      return;
    }
    res.json(report);
  }
}
