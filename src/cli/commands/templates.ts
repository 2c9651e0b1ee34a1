// `templates list | show <name> | add <file>`. A file holds what TEMPLATES_DIR files hold: a bare
// workflow (API, saved /prompt body, or editor format) or {workflow, parameters, description}.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, JSON_OPTION, str, type Command, type CommandContext } from '../command.ts';
import { table } from '../format.ts';
import { UsageError } from '../params.ts';
import { TemplateListReply, TemplateReply, type ParameterReplyT, type TemplateReplyT } from '../replies.ts';

/** A short type for a parameter schema: "integer 1..10000", "one of euler, heun, …", "text". */
export function schemaText(p: ParameterReplyT): string {
  const s = p.schema;
  const alts = Array.isArray(s.anyOf) ? (s.anyOf as Record<string, unknown>[]) : [s];
  if (s['x-upload']) return `file name (${String(s['x-upload'])})`;
  return alts.map((a) => {
    if (Array.isArray(a.enum)) {
      const e = a.enum.map(String);
      return `one of ${e.slice(0, 4).join(', ')}${e.length > 4 ? `, … (${e.length})` : ''}`;
    }
    if (a.const !== undefined) return JSON.stringify(a.const);
    if (a.type === 'integer' || a.type === 'number') {
      const range = a.minimum !== undefined || a.maximum !== undefined ? ` ${String(a.minimum ?? '')}..${String(a.maximum ?? '')}` : '';
      return `${String(a.type)}${range}`;
    }
    if (a.type === 'string') return a['x-multiline'] ? 'text (multiline)' : 'text';
    return String(a.type ?? 'any');
  }).join(' or ');
}

function printTemplate(t: TemplateReplyT, out: CommandContext['io']['out']): void {
  out.write(`${t.name} v${t.version}${t.description ? ` — ${t.description}` : ''}\n`);
  const rows = Object.entries(t.parameters).map(([name, p]) => [
    name + (p.required ? ' *' : ''),
    schemaText(p),
    p.default === undefined ? '' : JSON.stringify(p.default).slice(0, 40),
    p.problem ?? p.description?.split('\n')[0]?.slice(0, 80) ?? '',
  ]);
  if (rows.length) out.write(table(['PARAMETER', 'TYPE', 'DEFAULT', 'NOTE'], rows));
  else if (t.suggestedParameters) out.write(`no parameters declared; suggested: ${Object.keys(t.suggestedParameters).join(', ')}\n`);
  if (t.validation && !t.validation.valid) {
    out.write('does not validate against the pool:\n');
    for (const e of t.validation.errors) out.write(`  - ${e.message}\n`);
  }
}

async function list({ values, client, io }: CommandContext): Promise<number> {
  const { templates } = await client.json(TemplateListReply, '/templates');
  if (values.json) io.out.write(JSON.stringify({ templates }) + '\n');
  else if (!templates.length) io.out.write('no templates\n');
  else io.out.write(table(['NAME', 'VERSION', 'PARAMETERS', 'DESCRIPTION'], templates.map((t) => [t.name, String(t.latestVersion), t.parameterNames.join(','), t.description ?? ''])));
  return EXIT.OK;
}

async function show({ values, positionals, client, io }: CommandContext): Promise<number> {
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new UsageError('templates show takes one template name');
  const t = await client.json(TemplateReply, `/templates/${encodeURIComponent(name)}`);
  if (values.json) io.out.write(JSON.stringify(t) + '\n');
  else printTemplate(t, io.out);
  return EXIT.OK;
}

/** The POST /templates body for a file. */
export async function templateBody(file: string, name: string | undefined, description: string | undefined): Promise<Record<string, unknown>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const wrapped = json !== null && typeof json === 'object' && !Array.isArray(json) && 'workflow' in json ? (json as Record<string, unknown>) : null;
  const desc = description ?? (typeof wrapped?.description === 'string' ? wrapped.description : undefined);
  return {
    name: name ?? path.basename(file).replace(/(\.api|\.ui)?\.json$/i, ''),
    workflow: wrapped ? wrapped.workflow : json,
    ...(wrapped?.parameters !== undefined ? { parameters: wrapped.parameters } : {}),
    ...(desc !== undefined ? { description: desc } : {}),
  };
}

async function add({ values, positionals, client, io }: CommandContext): Promise<number> {
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError('templates add takes one file');
  const body = await templateBody(path.resolve(io.cwd, file), str(values, 'name'), str(values, 'description'));
  const t = await client.json(TemplateReply, '/templates', { method: 'POST', body });
  if (values.json) io.out.write(JSON.stringify(t) + '\n');
  else printTemplate(t, io.out);
  return EXIT.OK;
}

const ACTIONS: Record<string, (ctx: CommandContext) => Promise<number>> = { list, show, add };

export const templatesCommand: Command = {
  name: 'templates',
  usage: 'templates list | templates show <name> | templates add <file> [--name N] [--description D]   [--json]',
  summary: 'List, inspect or upload workflow templates',
  options: {
    name: { type: 'string', valueName: 'N', description: 'add: template name (default: the file name without .json)' },
    description: { type: 'string', valueName: 'D', description: 'add: description shown in listings' },
    json: JSON_OPTION,
  },
  async run(ctx) {
    const [action = 'list', ...rest] = ctx.positionals;
    const fn = ACTIONS[action];
    if (!fn) throw new UsageError(`unknown templates action "${action}" (list, show, add)`);
    return fn({ ...ctx, positionals: rest });
  },
};
