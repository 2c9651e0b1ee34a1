// `jobs` and `servers`: the two listings, as tables (or the API's JSON with --json).
import { ApiError } from '../client.ts';
import { EXIT, JSON_OPTION, str, type Command, type CommandContext } from '../command.ts';
import { durationText, isoTime, table } from '../format.ts';
import { UsageError } from '../params.ts';
import { JobListReply, ReadyReply, ServerListReply, type ServerReplyT } from '../replies.ts';

async function jobs({ values, client, io }: CommandContext): Promise<number> {
  const q = new URLSearchParams();
  for (const k of ['status', 'template', 'limit', 'cursor'] as const) {
    const v = str(values, k);
    if (v !== undefined) q.set(k, v);
  }
  const reply = await client.json(JobListReply, `/jobs${q.size ? `?${q}` : ''}`);
  if (values.json) {
    io.out.write(JSON.stringify(reply) + '\n');
    return EXIT.OK;
  }
  const rows = reply.jobs.map((j) => [
    j.id,
    j.status,
    j.template ?? '(workflow)',
    j.backendId ?? '',
    isoTime(j.createdAt),
    durationText(j.startedAt !== null ? (j.finishedAt ?? Date.now()) - j.startedAt : null),
    j.status === 'queued' && j.queuePosition !== null ? `position ${j.queuePosition}` : j.error ? j.error.message.split('\n')[0] ?? '' : j.outputs.length ? `${j.outputs.length} output(s)` : '',
  ]);
  io.out.write(rows.length ? table(['ID', 'STATUS', 'TEMPLATE', 'BACKEND', 'CREATED', 'RAN', 'NOTE'], rows) : 'no jobs\n');
  if (reply.nextCursor) io.err.write(`more: --cursor ${reply.nextCursor}\n`);
  return EXIT.OK;
}

export const jobsCommand: Command = {
  name: 'jobs',
  usage: 'jobs [--status S] [--template T] [--limit N] [--cursor C] [--json]',
  summary: 'List jobs, newest first',
  options: {
    status: { type: 'string', valueName: 'S', description: 'queued, running, succeeded, failed or cancelled' },
    template: { type: 'string', valueName: 'T', description: 'Only jobs of this template' },
    limit: { type: 'string', valueName: 'N', description: 'At most N jobs (default 50, max 200)' },
    cursor: { type: 'string', valueName: 'C', description: 'Next page, from the previous listing' },
    json: JSON_OPTION,
  },
  run: jobs,
};

async function listServers(ctx: CommandContext): Promise<ServerReplyT[]> {
  try {
    return (await ctx.client.json(ServerListReply, '/servers')).servers;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
  }
  // Services without GET /servers: /ready lists the backends too (also when it answers 503).
  const res = await fetch(`${ctx.client.url}/ready`, { headers: ctx.client.headers() });
  return ReadyReply.parse(await res.json()).backends;
}

async function servers(ctx: CommandContext): Promise<number> {
  if (ctx.positionals.length) throw new UsageError('servers takes no arguments');
  const list = await listServers(ctx);
  if (ctx.values.json) {
    ctx.io.out.write(JSON.stringify({ servers: list }) + '\n');
    return EXIT.OK;
  }
  const rows = list.map((s) => [s.id, s.state, `${s.kind}${s.simulated ? ' (stand-in)' : ''}`, s.url, s.queueDepth === undefined ? '' : String(s.queueDepth), s.reason]);
  ctx.io.out.write(rows.length ? table(['ID', 'STATE', 'KIND', 'URL', 'QUEUE', 'REASON'], rows) : 'no servers\n');
  return EXIT.OK;
}

export const serversCommand: Command = {
  name: 'servers',
  usage: 'servers [--json]',
  summary: 'List the ComfyUI backends and their states',
  options: { json: JSON_OPTION },
  run: servers,
};
