// The live status line of `submit` on stderr. On a terminal one line is redrawn in place; when
// stderr is a file or a pipe a line is written only when something a reader cares about changes
// (status, node, each tenth of progress), so CI logs stay short.

export interface ProgressState {
  status: string;
  position: number | null;
  node: string | null;
  /** Overall estimate 0–100 from the service. */
  percent: number;
  step: { value: number; max: number } | null;
}

export interface Stream {
  write(s: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

const BAR = 24;

export function renderLine(s: ProgressState): string {
  const pct = Math.max(0, Math.min(100, s.percent));
  const filled = Math.round((pct / 100) * BAR);
  const parts = [`[${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${String(Math.round(pct)).padStart(3)}%`, s.status];
  if (s.status === 'queued' && s.position !== null) parts.push(s.position === 0 ? 'next to run' : `${s.position} ahead`);
  if (s.node) parts.push(s.node);
  if (s.step && s.step.max > 1) parts.push(`${s.step.value}/${s.step.max}`);
  return parts.join(' · ');
}

export class ProgressLine {
  readonly #out: Stream;
  readonly #tty: boolean;
  #state: ProgressState = { status: 'submitted', position: null, node: null, percent: 0, step: null };
  #lastKey = '';
  #drawn = false;

  constructor(out: Stream) {
    this.#out = out;
    this.#tty = out.isTTY === true;
  }

  update(patch: Partial<ProgressState>): void {
    this.#state = { ...this.#state, ...patch };
    const line = renderLine(this.#state);
    if (this.#tty) {
      const width = Math.max(20, (this.#out.columns ?? 80) - 1);
      this.#out.write(`\r\x1b[2K${line.slice(0, width)}`);
      this.#drawn = true;
      return;
    }
    const s = this.#state;
    const key = `${s.status}|${s.position}|${s.node}|${Math.floor(s.percent / 10)}`;
    if (key === this.#lastKey) return;
    this.#lastKey = key;
    this.#out.write(line + '\n');
  }

  /** A permanent message, written above the live line. */
  log(message: string): void {
    if (this.#tty && this.#drawn) this.#out.write('\r\x1b[2K');
    this.#out.write(message + '\n');
    if (this.#tty && this.#drawn) this.#out.write(renderLine(this.#state));
  }

  /** Leaves the final state on its own line. */
  end(): void {
    if (this.#tty && this.#drawn) this.#out.write('\n');
    this.#drawn = false;
  }
}
