// Resident memory of the workerd processes this benchmark started (children of this Node process), from /proc.
import { readdirSync, readFileSync } from "node:fs";

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry), ...childrenOf(Number(entry)));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

function rssMiB(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
    return line ? Number(line.replace(/\D+/g, "")) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The largest workerd process's RSS in MiB (each Miniflare instance is one workerd). */
export function workerdRss(): number {
  return Math.max(0, ...childrenOf(process.pid).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("workerd")).map(rssMiB));
}

/** Runs `work` while sampling the RSS every 20 ms; returns its result and the peak seen. */
export async function peakRssDuring<T>(work: () => Promise<T>): Promise<{ result: T; peakMiB: number; beforeMiB: number }> {
  const beforeMiB = workerdRss();
  let peakMiB = beforeMiB;
  const timer = setInterval(() => (peakMiB = Math.max(peakMiB, workerdRss())), 20);
  try {
    const result = await work();
    return { result, peakMiB: Math.max(peakMiB, workerdRss()), beforeMiB };
  } finally {
    clearInterval(timer);
  }
}
