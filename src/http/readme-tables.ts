// Renders the README's configuration and error tables from the zod config schema and the error
// registry, so the README cannot drift from the code (test/docs/readme.test.ts checks it).
import { z } from 'zod';
import { EnvSchema } from '../config.ts';
import { ERRORS } from '../errors.ts';

function defaultOf(schema: z.ZodType): string {
  const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { default?: unknown };
  if (js.default === undefined) return '';
  return Array.isArray(js.default) ? js.default.join(',') : String(js.default);
}

export function configTable(): string {
  const rows = Object.entries(EnvSchema.shape).map(([name, schema]) => {
    const s = schema as z.ZodType;
    const def = defaultOf(s);
    return `| \`${name}\` | ${def === '' ? '' : `\`${def}\``} | ${s.description ?? ''} |`;
  });
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

export function errorTable(): string {
  const rows = Object.entries(ERRORS).map(([code, e]) => `| \`${code}\` | ${e.status} | ${e.title} |`);
  return ['| Code | HTTP | Title |', '| --- | --- | --- |', ...rows].join('\n');
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->`. */
export function replaceBlock(doc: string, name: string, body: string): string {
  const re = new RegExp(`(<!-- ${name}:start -->)[\\s\\S]*?(<!-- ${name}:end -->)`);
  if (!re.test(doc)) throw new Error(`README has no ${name} block`);
  return doc.replace(re, (_m, start: string, end: string) => `${start}\n${body}\n${end}`);
}

export function renderReadme(doc: string): string {
  return replaceBlock(replaceBlock(doc, 'config', configTable()), 'errors', errorTable());
}
