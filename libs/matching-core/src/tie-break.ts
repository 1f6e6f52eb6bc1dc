/** A number in [0, 1) fixed by a decision's identity: which decisions a share-based rule applies to, replayably. */
export function decisionDraw(taskId: string, replica: number, attempt: number): number {
  return tieBreak(taskId, `draw:${replica}:${attempt}`) / 2 ** 32;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const COLON = 0x3a;

function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME) >>> 0;
  return h;
}

/**
 * FNV-1a over the UTF-16 code units of `taskId:workerId`: cheap, stable across processes and
 * versions. Hashed part by part rather than over the joined string, as a ranking may need it for
 * thousands of workers.
 */
export function tieBreak(taskId: string, workerId: string): number {
  return tieBreaker(taskId)(workerId);
}

/** `tieBreak` for one task and many workers: the task's part is hashed once. */
export function tieBreaker(taskId: string): (workerId: string) => number {
  const prefix = Math.imul(fnv(FNV_OFFSET, taskId) ^ COLON, FNV_PRIME) >>> 0;
  return (workerId) => fnv(prefix, workerId);
}
