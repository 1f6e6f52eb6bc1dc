import type { z } from 'zod';
import type { ValidationIssue } from './dead-letters/value';

/** Turns zod issues into `{ path, message }` pairs whose path names the field, e.g. `data.priority`. */
export function describeIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}

/** One line naming every field at fault, for logs and error bodies. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}
