/**
 * What a starting service does with the servers a previous instance recorded: a record whose
 * pid is alive AND whose port answers GET /api/system_stats is re-adopted (same pid, nothing
 * spawned twice); any other is reaped, its process group killed, so no half-dead ComfyUI keeps
 * a GPU. Before signalling a recorded pid we check (Linux /proc) that it still runs a command
 * with our `--port`: after a reboot the pid may belong to an unrelated process.
 */
import type { ComfyLogger } from '../comfy/index.ts';
import { isZombie, pidAlive, processArgv, signalGroup } from './child.ts';
import type { ServerRecord } from './records.ts';

export type Verdict = { record: ServerRecord; action: 'adopt' } | { record: ServerRecord; action: 'reap'; why: string };

export async function judgeRecords(
  records: ServerRecord[],
  probe: (url: string) => Promise<boolean>,
): Promise<Verdict[]> {
  return Promise.all(records.map(async (record): Promise<Verdict> => {
    if (!pidAlive(record.pid) || isZombie(record.pid)) return { record, action: 'reap', why: `pid ${record.pid} is not running` };
    if (!isOurs(record)) return { record, action: 'reap', why: `pid ${record.pid} now runs something else` };
    const url = `http://127.0.0.1:${record.port}`;
    // Two tries: a server busy loading a model can miss one probe.
    const healthy = (await probe(url)) || (await probe(url));
    return healthy ? { record, action: 'adopt' } : { record, action: 'reap', why: `${url} does not answer /api/system_stats` };
  }));
}

/** Kills the recorded process group if it is still ours; returns what was done, for the log. */
export function reap(record: ServerRecord, logger: ComfyLogger): string {
  if (!pidAlive(record.pid)) return 'already gone';
  if (!isOurs(record)) return 'pid reused by another program: left alone';
  signalGroup(record.pid, 'SIGKILL');
  logger.warn({ server: record.id, pid: record.pid }, 'pool: reaped an unhealthy server left by a previous run');
  return 'killed';
}

function isOurs(record: ServerRecord): boolean {
  const argv = processArgv(record.pid);
  if (argv === null) return true; // no /proc here: trust the record (pid + port probe)
  const at = argv.indexOf('--port');
  return at >= 0 && argv[at + 1] === String(record.port);
}
