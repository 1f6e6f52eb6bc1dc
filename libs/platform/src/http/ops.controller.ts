import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth/auth.guard';
import { HealthChecks } from './health';
import { PlatformMetrics } from './platform-metrics';

/** `GET /health` (200 or 503 with each dependency) and `GET /metrics` (Prometheus text). */
@Public()
@Controller()
export class OpsController {
  constructor(
    @Inject(HealthChecks) private readonly health: HealthChecks,
    @Inject(PlatformMetrics) private readonly metrics: PlatformMetrics,
  ) {}

  @Get('health')
  async getHealth(@Res() res: Response): Promise<void> {
    const result = await this.health.run();
    res.status(result.status === 'ok' ? 200 : 503).json(result);
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async getMetrics(@Res() res: Response): Promise<void> {
    res.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
