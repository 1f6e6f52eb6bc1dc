import { canonicalJson, leafHash } from '@clearwork/audit-core';

/** What the log records of one event: the event itself under its source, plus columns to find it by. */
export interface LogEntryInput {
  /** Unique per entry: a consumed event's eventId, or an appeal step's own id. Appends are idempotent by it. */
  readonly entryId: string;
  /** The topic the event came from, or `audit.appeals` for review steps taken here. */
  readonly source: string;
  readonly type: string;
  readonly taskId: string | null;
  readonly workerId: string | null;
  readonly decisionId: string | null;
  readonly occurredAt: string;
  /** Canonical JSON (RFC 8785) of `{ source, event }`: the exact bytes the leaf hash is taken over. */
  readonly body: string;
  /** RFC 6962 leaf hash of `body`: taken here, while building the entry, rather than in the log's serial commit. */
  readonly leafHash: Buffer;
}

interface EnvelopeLike {
  readonly eventId: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly data: unknown;
}

/** Builds the entry for one event; the id columns are read from the event's data when present. */
export function entryFor(source: string, event: EnvelopeLike): LogEntryInput {
  const data = (event.data ?? {}) as { taskId?: unknown; workerId?: unknown; decisionId?: unknown; selectedWorkerId?: unknown };
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  const body = canonicalJson({ source, event });
  return {
    entryId: event.eventId,
    source,
    type: event.type,
    taskId: text(data.taskId),
    workerId: text(data.workerId) ?? text(data.selectedWorkerId),
    decisionId: text(data.decisionId),
    occurredAt: event.occurredAt,
    body,
    leafHash: leafHash(body),
  };
}

/** The event inside an entry's body. */
export function eventOf<T = { eventId: string; type: string; occurredAt: string; data: Record<string, unknown> }>(body: string): T {
  return (JSON.parse(body) as { event: T }).event;
}
