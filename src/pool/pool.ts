// PLACEHOLDER owned by the pool work (issue 4): the registry of ComfyUI backends. Only the
// interface the routes rely on exists yet; spawning, remotes and state machines come with it.
import type { Config } from '../config.ts';

export const BACKEND_STATES = ['starting', 'ready', 'busy', 'draining', 'unhealthy', 'restarting', 'stopped', 'failed'] as const;
export type BackendState = (typeof BACKEND_STATES)[number];

export interface BackendSummary {
  id: string;
  url: string;
  kind: 'spawned' | 'remote';
  state: BackendState;
  reason: string;
  simulated: boolean;
}

export class Pool {
  readonly simulated: boolean;
  constructor(opts: { config: Config }) {
    this.simulated = opts.config.comfy.simulated;
  }
  async start(): Promise<void> {}
  async close(): Promise<void> {}
  list(): BackendSummary[] {
    return [];
  }
}
