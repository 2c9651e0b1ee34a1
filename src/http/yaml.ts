import { stringify } from 'yaml';

export const OPENAPI_BANNER = '# Generated from the zod schemas of the routes by `npm run openapi`. Do not edit by hand.\n';

/** Stable YAML (no anchors/aliases, wide lines) so the committed file diffs cleanly. */
export function toYaml(doc: unknown): string {
  return OPENAPI_BANNER + stringify(doc, { aliasDuplicateObjects: false, lineWidth: 0 });
}
