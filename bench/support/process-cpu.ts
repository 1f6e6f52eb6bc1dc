import { readdirSync, readFileSync } from 'node:fs';

/** Which processes a CPU figure is reported for, by what their command line holds (first match wins). */
const GROUPS: readonly (readonly [string, RegExp])[] = [
  ['dispatcher', /dist\/apps\/dispatcher\//],
  ['scoring', /dist\/apps\/scoring\//],
  ['audit', /dist\/apps\/audit\//],
  ['postgres', /^postgres/],
  ['kafka', /kafka\.Kafka/],
  ['redis', /^redis-server/],
  ['passthrough', /bench\/support\/passthrough/],
];
/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds used so far by each group, and by this benchmark's own process (`bench`). */
export interface CpuSnapshot {
  readonly at: number;
  readonly seconds: ReadonlyMap<number, { group: string; seconds: number }>;
}

function groupOf(pid: number, cmdline: string): string | undefined {
  if (pid === process.pid) return 'bench';
  return GROUPS.find(([, pattern]) => pattern.test(cmdline))?.[0];
}

/** Reads every process's CPU time from /proc (Linux only: elsewhere the snapshot is empty). */
export function cpuSnapshot(): CpuSnapshot {
  const seconds = new Map<number, { group: string; seconds: number }>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return { at: performance.now(), seconds };
  }
  for (const p of pids) {
    try {
      const pid = Number(p);
      const group = groupOf(pid, readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' '));
      if (!group) continue;
      // Fields after the command name (which may hold spaces) start after its closing parenthesis.
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      seconds.set(pid, { group, seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND });
    } catch {
      // The process ended while being read.
    }
  }
  return { at: performance.now(), seconds };
}

/**
 * Share of one core each group used between two snapshots (1 = a whole core), over the
 * processes alive at both; `total` is their sum. The machine's other processes are left out.
 */
export function cpuShares(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const wall = (after.at - before.at) / 1_000;
  const shares: Record<string, number> = {};
  if (wall <= 0) return shares;
  for (const [pid, a] of after.seconds) {
    const b = before.seconds.get(pid);
    if (!b) continue;
    shares[a.group] = (shares[a.group] ?? 0) + (a.seconds - b.seconds) / wall;
  }
  const total = Object.values(shares).reduce((x, y) => x + y, 0);
  return Object.fromEntries([...Object.entries(shares).map(([g, s]) => [g, round2(s)]), ['total', round2(total)]]);
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** CPU seconds a group's processes spent between two snapshots (those alive at both). */
export function cpuSecondsBetween(before: CpuSnapshot, after: CpuSnapshot, group: string): number {
  let total = 0;
  for (const [pid, a] of after.seconds) {
    const b = before.seconds.get(pid);
    if (a.group === group && b) total += a.seconds - b.seconds;
  }
  return total;
}
