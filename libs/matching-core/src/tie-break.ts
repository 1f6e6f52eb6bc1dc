/** A number in [0, 1) fixed by a decision's identity: which decisions a share-based rule applies to, replayably. */
export function decisionDraw(taskId: string, replica: number, attempt: number): number {
  return tieBreak(taskId, `draw:${replica}:${attempt}`) / 2 ** 32;
}

/** FNV-1a over `taskId:workerId`: cheap, stable across processes and versions. */
export function tieBreak(taskId: string, workerId: string): number {
  let h = 0x811c9dc5;
  const s = `${taskId}:${workerId}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
