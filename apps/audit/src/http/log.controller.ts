import { Controller, Get, Inject, NotFoundException, Param, Query, Res } from '@nestjs/common';
import { parseRequest, Public, Roles } from '@clearwork/platform';
import type { Response } from 'express';
import { z } from 'zod';
import { LogProofs } from '../log/log-proofs';
import { LogReader } from '../log/log-reader';

export const Seq = z.object({ seq: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER) });
export const Range = z
  .object({ from: z.coerce.number().int().min(1, 'from must be at least 1: the empty tree has no consistency proof'), to: z.coerce.number().int().min(1) })
  .refine((r) => r.from <= r.to, { message: 'from must not exceed to', path: ['from'] });

/** The log as a transparency log: signed checkpoints, proofs, full verification and export. */
@Controller('v1/log')
export class LogController {
  constructor(
    @Inject(LogProofs) private readonly proofs: LogProofs,
    @Inject(LogReader) private readonly reader: LogReader,
  ) {}

  /** The key checkpoints are signed with. Public: anyone may check the log. */
  @Get('public-key')
  @Public()
  publicKey() {
    return this.proofs.publicKey();
  }

  @Get('checkpoint')
  @Public()
  async checkpoint() {
    const checkpoint = await this.proofs.checkpoint();
    if (!checkpoint) throw new NotFoundException('the log is empty: no checkpoint has been signed yet');
    return checkpoint;
  }

  @Get('consistency')
  @Public()
  async consistency(@Query() query: unknown) {
    const { from, to } = parseRequest(Range, query, 'query');
    const proof = await this.proofs.consistency(from, to);
    if (!proof) throw new NotFoundException(`the log has fewer than ${to} entries`);
    return proof;
  }

  /** Hashes only, so any signed-in caller may check that an entry they were shown is in the log. */
  @Get('entries/:seq/proof')
  @Roles('worker', 'auditor', 'reviewer', 'platform')
  async proof(@Param() params: unknown) {
    const { seq } = parseRequest(Seq, params, 'path');
    const proof = await this.proofs.inclusion(seq);
    if (!proof) throw new NotFoundException(`no log entry ${seq}`);
    return proof;
  }

  @Get('entries/:seq')
  @Roles('auditor', 'reviewer', 'platform')
  async entry(@Param() params: unknown) {
    const { seq } = parseRequest(Seq, params, 'path');
    const entry = await this.reader.entry(seq);
    if (!entry) throw new NotFoundException(`no log entry ${seq}`);
    return { ...entry, body: JSON.parse(entry.body) as unknown, canonicalBody: entry.body, leafHash: entry.leafHash.toString('hex'), chainHash: entry.chainHash.toString('hex') };
  }

  @Get('verify')
  @Roles('auditor', 'platform')
  verify() {
    return this.proofs.verify();
  }

  /** NDJSON (`clearwork-log/1`), streamed; check it offline with `npx tsx scripts/verify-log.ts`. */
  @Get('export')
  @Roles('auditor')
  async export(@Res() res: Response): Promise<void> {
    res.setHeader('content-type', 'application/x-ndjson');
    res.setHeader('content-disposition', 'attachment; filename="clearwork-log.ndjson"');
    for await (const line of this.proofs.exportLines()) {
      if (!res.write(`${JSON.stringify(line)}\n`)) await new Promise((r) => res.once('drain', r));
    }
    res.end();
  }
}
