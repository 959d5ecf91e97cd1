/**
 * Peak resident memory of a process tree, sampled from /proc: every descendant of a root pid (the root
 * itself excluded: the benchmark's own jest worker), RSS summed over the tree at each sample, the largest
 * sum kept. Linux only; elsewhere the peak reads 0.
 */
import fs from 'node:fs';

const PAGE_KB = 4;

interface Proc {
  ppid: number;
  rssKb: number;
}

function readProcs(): Map<number, Proc> {
  const procs = new Map<number, Proc>();
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return procs;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces and parentheses): state ppid … rss is field 24.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(name), { ppid: Number(fields[1]), rssKb: Number(fields[21]) * PAGE_KB });
    } catch {
      // The process ended between readdir and read.
    }
  }
  return procs;
}

/** Total RSS (KB) of every descendant of `root`. */
export function treeRssKb(root: number): number {
  const procs = readProcs();
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  let total = 0;
  const queue = [...(children.get(root) ?? [])];
  while (queue.length) {
    const pid = queue.pop()!;
    total += procs.get(pid)?.rssKb ?? 0;
    queue.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** Samples the tree under `root` every `intervalMs` until stop(), which returns the peak in MB. */
export function samplePeakRss(root = process.pid, intervalMs = 50): { stop(): number } {
  let peakKb = 0;
  const sample = () => {
    peakKb = Math.max(peakKb, treeRssKb(root));
  };
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.round(peakKb / 1024);
    },
  };
}

/**
 * Busy CPU seconds of the whole machine so far (/proc/stat's first line: user, nice, system, irq, softirq
 * and steal, in clock ticks of 1/100 s). The difference across a run is the CPU every process used while
 * it ran — the agent's too when it runs as another user in its own PID namespace, whose CPU never reaches
 * this process's cutime (the strict level's world). It also holds this process's scripted model and
 * GitHub fake, the same in every variant, and anything else the machine ran: read it on a quiet machine.
 */
export function machineCpuSeconds(): number {
  try {
    const [, user, nice, system, , , irq, softirq, steal] = fs
      .readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      .trim()
      .split(/\s+/)
      .map(Number);
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return 0;
  }
}
