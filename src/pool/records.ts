/**
 * What we spawned, on disk, so a restarted service can find it again: DATA_DIR/servers/
 * records.json, one entry per spawned server (pid, port, directories, gpu, command). Written
 * atomically (temp file + rename) on every change, so a kill -9 at any moment leaves either the
 * old or the new file. A JSON file rather than a table: it is tiny, written rarely, and must be
 * readable before (and without) the database.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const ServerRecordSchema = z.object({
  id: z.string().min(1),
  /** Which configured slot this server fills (`gpu:0`, `n:1`) or `extra` for run-time spawns. */
  slot: z.string(),
  pid: z.number().int(),
  port: z.number().int().min(1).max(65535),
  gpu: z.string().nullable(),
  /** The full argv the process was started with. */
  argv: z.array(z.string()),
  extraArgs: z.array(z.string()),
  dirs: z.object({ root: z.string(), input: z.string(), output: z.string(), temp: z.string() }),
  logFile: z.string(),
  simulated: z.boolean(),
  startedAt: z.number(),
});
export type ServerRecord = z.infer<typeof ServerRecordSchema>;

const FileSchema = z.object({ version: z.literal(1), servers: z.array(z.unknown()) });

export class RecordStore {
  readonly file: string;
  readonly #records = new Map<string, ServerRecord>();

  constructor(dir: string) {
    this.file = path.join(dir, 'records.json');
  }

  /** Reads the file; unreadable files and entries are skipped (returned as `problems`). */
  load(): { records: ServerRecord[]; problems: string[] } {
    const problems: string[] = [];
    this.#records.clear();
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return { records: [], problems };
    }
    let servers: unknown[] = [];
    try {
      servers = FileSchema.parse(JSON.parse(text)).servers;
    } catch (err) {
      problems.push(`${this.file}: ${(err as Error).message}`);
    }
    for (const entry of servers) {
      const parsed = ServerRecordSchema.safeParse(entry);
      if (parsed.success) this.#records.set(parsed.data.id, parsed.data);
      else problems.push(`${this.file}: skipped a record: ${z.prettifyError(parsed.error)}`);
    }
    return { records: [...this.#records.values()], problems };
  }

  all(): ServerRecord[] {
    return [...this.#records.values()];
  }

  put(record: ServerRecord): void {
    this.#records.set(record.id, record);
    this.#write();
  }

  remove(id: string): void {
    if (this.#records.delete(id)) this.#write();
  }

  #write(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ version: 1, servers: [...this.#records.values()] }, null, 2)}\n`);
    renameSync(tmp, this.file);
  }
}
