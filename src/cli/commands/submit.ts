// `submit <template> --param k=v ...`: queue a job, show its progress live on stderr, write its
// outputs to --out and print their paths on stdout (so `$(comfy-fleet submit ...)` names the files).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, JSON_OPTION, str, strings, type Command, type CommandContext } from '../command.ts';
import type { FleetClient } from '../client.ts';
import { followJob } from '../follow.ts';
import { parseParams, UsageError } from '../params.ts';
import { ProgressLine } from '../progress.ts';
import { JobReply, TemplateReply, type JobReplyT } from '../replies.ts';
import { describeJobError } from './watch.ts';

/** `<job8>-<n>-<name>`: unique per job and output, and sorted the way the job produced them. */
export function outputFileName(jobId: string, n: number, filename: string): string {
  const base = path.basename(filename).replace(/[^\w.-]/g, '_') || 'output';
  return `${jobId.slice(0, 8)}-${n}-${base}`;
}

export async function downloadOutputs(client: FleetClient, job: JobReplyT, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const o of job.outputs) {
    const res = await client.fetch(o.url);
    const file = path.join(dir, outputFileName(job.id, o.n, o.filename));
    // Written under a temporary name first, so a file that exists is always complete.
    const tmp = `${file}.part`;
    await writeFile(tmp, Buffer.from(await res.arrayBuffer()));
    await rename(tmp, file);
    written.push(file);
  }
  return written;
}

async function run({ values, positionals, client, io }: CommandContext): Promise<number> {
  const [template, ...extra] = positionals;
  if (!template || extra.length) throw new UsageError('submit takes exactly one template name');
  const tpl = await client.json(TemplateReply, `/templates/${encodeURIComponent(template)}`);
  const params = await parseParams(strings(values, 'param'), tpl.parameters, {
    readText: (f) => readFileSync(path.resolve(io.cwd, f), 'utf8'),
    upload: async (f) => {
      const file = path.resolve(io.cwd, f);
      if (!existsSync(file)) throw new UsageError(`no such file: ${f}`);
      return client.upload(file);
    },
  });
  const priority = str(values, 'priority');
  if (priority !== undefined && !/^-?\d+$/.test(priority)) throw new UsageError('--priority must be an integer');
  const body = { template, params, ...(priority !== undefined ? { priority: Number(priority) } : {}) };
  const created = await client.json(JobReply, '/jobs', { method: 'POST', body });
  if (values['no-wait']) {
    io.out.write(values.json ? JSON.stringify(created) + '\n' : created.id + '\n');
    return EXIT.OK;
  }

  const bar = new ProgressLine(io.err);
  bar.log(`job ${created.id} (${template} v${tpl.version})`);
  await followJob(client, created.id, {
    snapshot: (job) => bar.update({
      status: job.status,
      position: job.queuePosition,
      ...(job.progress ? { percent: job.progress.percent } : {}),
      ...(job.status === 'succeeded' ? { percent: 100, step: null } : {}),
    }),
    event: (type, data) => {
      if (type === 'position') bar.update({ position: Number(data.position) });
      else if (type === 'started') bar.update({ status: 'running', position: null, node: null });
      else if (type === 'node') bar.update({ node: String(data.title ?? data.classType ?? data.nodeId), step: null });
      else if (type === 'progress') bar.update({ percent: Number(data.percent), step: { value: Number(data.value), max: Number(data.max) } });
      else if (type === 'retrying') bar.log(`retrying: ${String(data.reason ?? '')}`);
      else if (type === 'succeeded') bar.update({ status: 'succeeded', percent: 100, step: null });
      else if (type === 'failed' || type === 'cancelled') bar.update({ status: type });
    },
    reconnecting: (delayMs) => bar.log(`connection lost; reconnecting in ${delayMs} ms`),
  });
  bar.end();

  const job = await client.json(JobReply, `/jobs/${created.id}`);
  if (job.status !== 'succeeded') {
    for (const line of describeJobError(job)) io.err.write(line + '\n');
    if (values.json) io.out.write(JSON.stringify(job) + '\n');
    return EXIT.JOB_FAILED;
  }
  const files = await downloadOutputs(client, job, path.resolve(io.cwd, str(values, 'out') ?? '.'));
  if (values.json) io.out.write(JSON.stringify({ ...job, files }) + '\n');
  else for (const f of files) io.out.write(f + '\n');
  return EXIT.OK;
}

export const submitCommand: Command = {
  name: 'submit',
  usage: 'submit <template> [--param name=value ...] [--out DIR] [--priority N] [--no-wait] [--json]',
  summary: 'Queue a job from a template, show its progress, write its outputs to DIR',
  options: {
    param: { type: 'string', multiple: true, short: 'p', valueName: 'name=value', description: 'A template parameter; repeat for more. Values are typed by the parameter schema; name=@file reads the value from a file (an image parameter uploads it)' },
    out: { type: 'string', short: 'o', valueName: 'DIR', description: 'Where to write the outputs (default: the current directory)' },
    priority: { type: 'string', valueName: 'N', description: 'Higher runs first (-100..100)' },
    'no-wait': { type: 'boolean', description: 'Print the job id and return at once' },
    json: JSON_OPTION,
  },
  run,
};
