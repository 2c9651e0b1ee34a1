// `watch <job>`: one line per event until the job ends (progress lines thinned to one per tenth);
// `--json` prints the websocket messages as NDJSON instead. Exit code 0 only if it succeeded.
import { EXIT, JSON_OPTION, type Command, type CommandContext } from '../command.ts';
import { followJob } from '../follow.ts';
import { isoTime } from '../format.ts';
import { UsageError } from '../params.ts';
import { JobReply, type JobReplyT } from '../replies.ts';

export function describeJobError(job: JobReplyT): string[] {
  if (job.status === 'cancelled') return [`job ${job.id} was cancelled`];
  const e = job.error;
  if (!e) return [`job ${job.id} ended ${job.status}`];
  const where = e.nodeId ? ` at node #${e.nodeId}${e.classType ? ` (${e.classType})` : ''}` : '';
  return [`job ${job.id} ${job.status}${where}: ${e.kind} error`, ...e.message.trimEnd().split('\n').map((l) => `  ${l}`)];
}

function summary(type: string, d: Record<string, unknown>): string {
  switch (type) {
    case 'queued': return `priority ${String(d.priority ?? 0)}`;
    case 'position': return Number(d.position) === 0 ? 'next to run' : `${String(d.position)} ahead`;
    case 'started': return `on ${String(d.backendId)} (attempt ${String(d.attempt ?? 1)})`;
    case 'node': return `#${String(d.nodeId)} ${String(d.title ?? d.classType ?? '')}`.trimEnd();
    case 'progress': return `${String(d.value)}/${String(d.max)} ${String(d.title ?? '')} (${Math.round(Number(d.percent))}% overall)`.replace(/ +\(/, ' (');
    case 'output': return `node #${String(d.nodeId)}`;
    case 'retrying': return String(d.reason ?? '');
    case 'failed': return String((d.error as { message?: string } | undefined)?.message ?? '').split('\n')[0] ?? '';
    default: return '';
  }
}

async function run({ values, positionals, client, io }: CommandContext): Promise<number> {
  const [id, ...extra] = positionals;
  if (!id || extra.length) throw new UsageError('watch takes exactly one job id');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new UsageError(`${id} is not a job id (a UUID)`);
  let lastTenth = -1;
  await followJob(client, id, {
    snapshot: (job) => {
      if (values.json) io.out.write(JSON.stringify({ type: 'snapshot', job }) + '\n');
      else io.out.write(`${isoTime(Date.now(), true)}  snapshot   ${job.status}${job.backendId ? ` on ${job.backendId}` : ''}\n`);
    },
    event: (type, data, seq, at) => {
      if (values.json) return void io.out.write(JSON.stringify({ type: 'event', seq, event: type, at, data }) + '\n');
      if (type === 'preview') return;
      if (type === 'progress') {
        const tenth = Math.floor(Number(data.percent) / 10);
        if (tenth === lastTenth) return;
        lastTenth = tenth;
      }
      io.out.write(`${isoTime(at, true)}  ${type.padEnd(10)} ${summary(type, data)}`.trimEnd() + '\n');
    },
    reconnecting: (delayMs) => io.err.write(`connection lost; reconnecting in ${delayMs} ms\n`),
  });
  const job = await client.json(JobReply, `/jobs/${encodeURIComponent(id)}`);
  if (job.status === 'succeeded') {
    if (!values.json) for (const o of job.outputs) io.out.write(`output ${o.n}: ${client.url}${o.url}  (${o.filename})\n`);
    return EXIT.OK;
  }
  for (const line of describeJobError(job)) io.err.write(line + '\n');
  return EXIT.JOB_FAILED;
}

export const watchCommand: Command = {
  name: 'watch',
  usage: 'watch <job> [--json]',
  summary: 'Print a job\'s events live until it ends (exit 0 if it succeeded)',
  options: { json: { ...JSON_OPTION, description: 'Print the websocket messages as NDJSON' } },
  run,
};
