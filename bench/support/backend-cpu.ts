import { readFileSync } from 'node:fs';

/**
 * CPU seconds used so far by each PostgreSQL backend connected to `database`,
 * by process id (same machine only: read from /proc; empty elsewhere). Taken
 * before and after a measurement, it gives the database's share of an
 * operation's cost (`cpuSecondsSince`); a backend that came or went in between
 * counts from zero or is left out.
 */
export async function backendCpu(
  query: (sql: string, parameters: unknown[]) => Promise<{ pid: number }[]>,
  database: string,
): Promise<Map<number, number>> {
  const rows = await query(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [database]);
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    const seconds = processCpuSeconds(pid);
    if (seconds !== undefined) cpu.set(pid, seconds); // else another machine, or the backend has gone: not counted
  }
  return cpu;
}

/** CPU seconds (user + system) used so far by a process of this machine, from /proc/<pid>/stat; undefined when it is not there. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return undefined;
  }
}

/** The backends' CPU seconds between two readings of `backendCpu`. */
export function cpuSecondsSince(before: Map<number, number>, after: Map<number, number>): number {
  let seconds = 0;
  for (const [pid, used] of after) seconds += used - (before.get(pid) ?? 0);
  return seconds;
}
