/**
 * Fault injection. One `Faults` instance per stand-in, set from STANDIN_FAULTS at start-up and
 * changed at run time through POST /__standin/faults (merge) and /__standin/reset.
 */
import { z } from 'zod';

export const FaultsPatchSchema = z.object({
  /** SIGKILL the process in the middle of the next prompt that executes. */
  crashOnPrompt: z.boolean().optional(),
  /** SIGKILL right away (after answering the control request). */
  crashNow: z.boolean().optional(),
  /** Stop executing and stop sending websocket messages; sockets stay open. */
  hang: z.boolean().optional(),
  /** Fraction of outgoing websocket messages dropped at random. */
  dropFraction: z.number().min(0).max(1).optional(),
  /** One shot: close every websocket now. */
  closeSockets: z.boolean().optional(),
  /** The next N POST /prompt answer aiohttp's text 500. */
  prompt500: z.number().int().min(0).optional(),
  /** The next N prompts fail with torch.OutOfMemoryError. */
  oom: z.number().int().min(0).optional(),
}).strict();

export type FaultsPatch = z.infer<typeof FaultsPatchSchema>;

export interface FaultState {
  crashOnPrompt: boolean;
  hang: boolean;
  dropFraction: number;
  prompt500: number;
  oom: number;
}

const initial = (): FaultState => ({ crashOnPrompt: false, hang: false, dropFraction: 0, prompt500: 0, oom: 0 });

export interface FaultHooks {
  /** Called when hang goes from true to false. */
  onResume(): void;
  onCloseSockets(): void;
  onCrashNow(): void;
}

export class Faults {
  state: FaultState = initial();
  #hooks: FaultHooks | undefined;
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  setHooks(hooks: FaultHooks): void {
    this.#hooks = hooks;
  }

  apply(patch: FaultsPatch): void {
    const wasHanging = this.state.hang;
    const { crashNow, closeSockets, ...persistent } = patch;
    this.state = { ...this.state, ...Object.fromEntries(Object.entries(persistent).filter(([, x]) => x !== undefined)) };
    if (closeSockets) this.#hooks?.onCloseSockets();
    if (wasHanging && !this.state.hang) this.#hooks?.onResume();
    if (crashNow) this.#hooks?.onCrashNow();
  }

  reset(): void {
    const wasHanging = this.state.hang;
    this.state = initial();
    if (wasHanging) this.#hooks?.onResume();
  }

  /** Consume one POST /prompt 500 if any are left. */
  takePrompt500(): boolean {
    if (this.state.prompt500 <= 0) return false;
    this.state.prompt500--;
    return true;
  }

  /** Consume one OOM if any are left. */
  takeOom(): boolean {
    if (this.state.oom <= 0) return false;
    this.state.oom--;
    return true;
  }

  shouldDrop(): boolean {
    return this.state.dropFraction > 0 && this.#random() < this.state.dropFraction;
  }
}
