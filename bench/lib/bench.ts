// Shared by every benchmark: quick mode, percentiles, the machine description and the JSON
// result file. Benchmarks are not tests: nothing here asserts; each script prints its figures
// and writes bench/results/<name>.json for bench/run.ts to put in bench/README.md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

/** BENCH_QUICK=1 scales counts down so the whole set smoke-runs in about two minutes. */
export const QUICK = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';

export const pick = <T>(full: T, quick: T): T => (QUICK ? quick : full);

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

const round = (v: number, digits = 2): number => Number(v.toFixed(digits));

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export function summarise(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { n: s.length, p50: round(percentile(s, 50)), p90: round(percentile(s, 90)), p99: round(percentile(s, 99)), max: round(s.at(-1) ?? Number.NaN), mean: round(mean) };
}

export function machine(): { cpu: string; cpus: number; memoryGb: number; node: string; os: string; loadAverage: number[] } {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    loadAverage: os.loadavg().map((v) => round(v)),
  };
}

/** One figure with its goal: `better` says which direction meets it. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  goal: number;
  better: 'lower' | 'higher';
  met: boolean;
}

export function figure(name: string, value: number, unit: string, goal: number, better: 'lower' | 'higher'): Figure {
  const v = round(value, 3);
  return { name, value: v, unit, goal, better, met: better === 'lower' ? v <= goal : v >= goal };
}

export function writeResult(name: string, result: { figures: Figure[]; [k: string]: unknown }): void {
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const body = { name, quick: QUICK, at: new Date().toISOString(), machine: machine(), ...result };
  writeFileSync(new URL(`${name}.json`, dir), `${JSON.stringify(body, null, 2)}\n`);
  for (const f of result.figures) {
    console.log(`  ${f.met ? 'met    ' : 'NOT MET'} ${f.name}: ${f.value} ${f.unit} (goal ${f.better === 'lower' ? '≤' : '≥'} ${f.goal} ${f.unit})`);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resident set size of a process in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  // VmRSS is in kB.
  const status = readProc(pid);
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return m ? round(Number(m[1]) / 1024, 1) : Number.NaN;
}

function readProc(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat (Linux). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the file: 12 and 13 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}
