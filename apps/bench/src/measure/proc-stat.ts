import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of utime/stime in /proc/<pid>/stat (`getconf CLK_TCK`, 100 on Linux). */
const CLK_TCK = 100;
const PAGE_BYTES = 4096;

/** CPU time and resident memory of one process, read from /proc. */
export interface ProcSample {
  pid: number;
  /** user + system CPU time, in microseconds (10 ms resolution). */
  cpuMicros: number;
  /** The system (kernel) part of cpuMicros: on loopback a socket write's TCP work is charged here. */
  sysMicros: number;
  rssBytes: number;
  /** Write-family system calls so far (/proc/<pid>/io `syscw`: write, writev, sendmsg…), 0 if unreadable. */
  writeSyscalls: number;
}

/** `syscw` of /proc/<pid>/io; 0 when the file is not readable (another user's process). */
function writeSyscallCount(pid: number): number {
  try {
    const m = /^syscw: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'latin1'));
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

/** Reads /proc/<pid>/stat; undefined when the process is gone. */
export function readProc(pid: number): ProcSample | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, so field n is at index n - 3.
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  const rssPages = Number(fields[24 - 3]);
  return { pid, cpuMicros: ((utime + stime) * 1e6) / CLK_TCK, sysMicros: (stime * 1e6) / CLK_TCK, rssBytes: rssPages * PAGE_BYTES, writeSyscalls: writeSyscallCount(pid) };
}

/** Direct children of a process (every thread's list: a child belongs to the thread that forked it). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').split(' ')) if (c.trim() !== '') out.push(Number(c));
    } catch {
      // thread ended meanwhile
    }
  }
  return out;
}

/** Sum of CPU and RSS over a set of processes (a cluster primary and its workers, plus redis-server). */
export interface ProcTotals {
  cpuMicros: number;
  sysMicros: number;
  rssBytes: number;
  writeSyscalls: number;
  processes: number;
}

/** Sums {@link readProc} over `pids`, skipping processes that are gone. */
export function readTotals(pids: readonly number[]): ProcTotals {
  const t: ProcTotals = { cpuMicros: 0, sysMicros: 0, rssBytes: 0, writeSyscalls: 0, processes: 0 };
  for (const pid of pids) {
    const s = readProc(pid);
    if (s === undefined) continue;
    t.cpuMicros += s.cpuMicros;
    t.sysMicros += s.sysMicros;
    t.rssBytes += s.rssBytes;
    t.writeSyscalls += s.writeSyscalls;
    t.processes++;
  }
  return t;
}

/**
 * Nanoseconds the main threads of `pids` have spent runnable but waiting for a CPU
 * (/proc/<pid>/schedstat, field 2): how much other work on the machine delayed the server.
 */
export function runQueueWaitNs(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += Number(readFileSync(`/proc/${pid}/schedstat`, 'latin1').split(' ')[1]);
    } catch {
      // gone
    }
  }
  return total;
}

/** 1-minute load average of the machine (the bench shares it with other work). */
export function loadAverage(): [number, number, number] {
  const [a, b, c] = readFileSync('/proc/loadavg', 'latin1').split(' ').map(Number);
  return [a ?? NaN, b ?? NaN, c ?? NaN];
}
