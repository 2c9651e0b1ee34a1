// The database schema as text (tables, indexes), for the committed snapshot in test/db/schema.sql.
import type { Db } from './db.ts';

export function dumpSchema(db: Db): string {
  const rows = db.prepare(`SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type DESC, name`).all() as { sql: string }[];
  return `${rows.map((r) => `${r.sql.trim()};`).join('\n\n')}\n`;
}
