import { BadRequestException } from '@nestjs/common';
import { describeIssues } from '@clearwork/contracts';
import type { z } from 'zod';

/** Parses a request part with zod; on failure a 400 naming every field at fault. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, what = 'request'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = describeIssues(result.error);
  throw new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: `invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  });
}
