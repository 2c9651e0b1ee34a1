// Lets Fastify routes declare zod schemas directly: zod validates (and coerces) each request part
// and TypeScript infers the handler's types from the same schemas (the single source of truth;
// openapi.yaml is generated from them too).
import type { FastifySchemaCompiler, FastifyTypeProvider } from 'fastify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { z } from 'zod';
import { FleetError, type ProblemItem } from '../errors.ts';

export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

const partName: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

/** zod issues → problem items with a JSON-pointer-like path into the request part. */
export function issuesToItems(issues: readonly z.core.$ZodIssue[], where: string): ProblemItem[] {
  return issues.map((i) => ({
    path: [where, ...i.path.map(String)].join('/'),
    message: i.message,
    code: i.code,
  }));
}

export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const where = partName[httpPart ?? 'body'] ?? 'body';
  return (data: unknown) => {
    const r = schema.safeParse(data);
    if (r.success) return { value: r.data };
    const items = issuesToItems(r.error.issues, where);
    const first = items[0];
    const detail = `Invalid ${where}: ${first ? `${first.path}: ${first.message}` : 'does not match'}` +
      (items.length > 1 ? ` (and ${items.length - 1} more)` : '');
    return { error: new FleetError('FLEET_INVALID_REQUEST', detail, { errors: items }) };
  };
};

/** Replies are built by our own code from typed values; plain JSON.stringify keeps it fast. */
export const jsonSerializerCompiler: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data);
