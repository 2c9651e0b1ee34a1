/**
 * Output of spawned servers. The child's stdout and stderr are the log file itself (an fd in
 * append mode, not a pipe to us): a pipe would break when the service dies, and a ComfyUI that
 * later writes to a broken pipe fails prompts (BrokenPipeError from print/tqdm) or dies (Node's
 * EPIPE), which would defeat re-adoption. So we *tail* the file: new bytes become lines in a
 * bounded ring (served by GET /servers/:id/logs) and are offered to a line listener (the
 * readiness matcher). The same tail works for a re-adopted server, which is not our child.
 */
import { open, stat, rename, type FileHandle } from 'node:fs/promises';

/** The last `capacity` lines, oldest first. */
export class LogRing {
  readonly #lines: string[] = [];
  readonly #capacity: number;
  #start = 0;

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  push(line: string): void {
    if (this.#lines.length < this.#capacity) {
      this.#lines.push(line);
      return;
    }
    this.#lines[this.#start] = line;
    this.#start = (this.#start + 1) % this.#capacity;
  }

  /** The newest `n` lines (all when n is undefined), oldest first. */
  tail(n?: number): string[] {
    const ordered = [...this.#lines.slice(this.#start), ...this.#lines.slice(0, this.#start)];
    return n === undefined ? ordered : ordered.slice(Math.max(0, ordered.length - n));
  }
}

/** Strips ANSI escape sequences: ComfyUI ≥0.23 colours its `[INFO]` prefix even without a TTY. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching the ESC byte is the point
  return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '');
}

/** Rotates `file` to `file.1` when it outgrew `maxBytes`, so a long-lived pool keeps one old file. */
export async function rotateIfLarge(file: string, maxBytes: number): Promise<void> {
  try {
    const s = await stat(file);
    if (s.size > maxBytes) await rename(file, `${file}.1`);
  } catch {
    // No file yet: nothing to rotate.
  }
}

/**
 * Follows a file from a byte offset by polling (robust on every filesystem, cheap: one fstat
 * per tick). Lines are ANSI-stripped; a trailing partial line waits for its newline.
 */
export class FileTail {
  readonly #file: string;
  readonly #onLine: (line: string) => void;
  #intervalMs: number;
  #offset: number;
  #partial = '';
  #handle: FileHandle | null = null;
  #timer: NodeJS.Timeout | null = null;
  #reading: Promise<void> | null = null;
  #closed = false;

  constructor(opts: { file: string; offset: number; intervalMs: number; onLine: (line: string) => void }) {
    this.#file = opts.file;
    this.#offset = opts.offset;
    this.#intervalMs = opts.intervalMs;
    this.#onLine = opts.onLine;
  }

  start(): void {
    if (this.#timer !== null || this.#closed) return;
    this.#timer = setInterval(() => void this.poll(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Polls every `ms` from now on: fast while a readiness line is awaited, slow once it has come. */
  every(ms: number): void {
    this.#intervalMs = ms;
    if (this.#timer === null) return;
    clearInterval(this.#timer);
    this.#timer = null;
    this.start();
  }

  /** Reads whatever was appended since the last call; concurrent calls share one read. */
  poll(): Promise<void> {
    this.#reading ??= this.#readNew().finally(() => {
      this.#reading = null;
    });
    return this.#reading;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#reading;
    if (this.#partial !== '') this.#emit(this.#partial);
    this.#partial = '';
    await this.#handle?.close().catch(() => undefined);
    this.#handle = null;
  }

  async #readNew(): Promise<void> {
    if (this.#closed) return;
    try {
      this.#handle ??= await open(this.#file, 'r');
      const { size } = await this.#handle.stat();
      if (size < this.#offset) this.#offset = 0; // truncated or replaced: start over
      while (this.#offset < size) {
        const length = Math.min(size - this.#offset, 64 * 1024);
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await this.#handle.read(buffer, 0, length, this.#offset);
        if (bytesRead === 0) break;
        this.#offset += bytesRead;
        this.#consume(buffer.subarray(0, bytesRead).toString('utf8'));
      }
    } catch {
      // The file may not exist yet (or was rotated): try again next tick with a fresh handle.
      await this.#handle?.close().catch(() => undefined);
      this.#handle = null;
    }
  }

  #consume(chunk: string): void {
    const text = this.#partial + chunk;
    const parts = text.split(/\r?\n|\r/);
    this.#partial = parts.pop() ?? '';
    for (const line of parts) this.#emit(line);
  }

  #emit(line: string): void {
    this.#onLine(stripAnsi(line));
  }
}
