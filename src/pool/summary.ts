/** The public picture of one backend, as GET /servers and /ready show it. */
import type { Backend, BackendState } from './backend.ts';
import type { CapabilitySummary } from './capabilities.ts';

export interface BackendSummary {
  id: string;
  url: string;
  kind: 'spawned' | 'remote';
  state: BackendState;
  /** Why the last transition happened. */
  reason: string;
  /** The backend is the built-in stand-in, not a real ComfyUI. */
  simulated: boolean;
  /** Spawned by a previous service instance and taken over by this one. */
  adopted: boolean;
  pid: number | null;
  gpu: string | null;
  port: number | null;
  /** Since the current process became ready (spawned) or the remote first answered. */
  uptimeMs: number | null;
  restarts: number;
  queueDepth: number;
  currentPrompt: string | null;
  loadedModel: string | null;
  capabilities: CapabilitySummary;
}

export function summariseBackend(b: Backend, now = Date.now()): BackendSummary {
  const sup = b.supervisor;
  const up = b.accepting || b.state === 'draining' || b.state === 'unhealthy';
  const startedAt = b.startedAt;
  const load = b.load;
  return {
    id: b.id,
    url: b.url,
    kind: b.kind,
    state: b.state,
    reason: b.reason,
    simulated: b.simulated,
    adopted: sup?.adopted ?? false,
    pid: sup?.pid ?? null,
    gpu: b.gpu,
    port: sup?.port ?? portOf(b.url),
    uptimeMs: up && startedAt !== null ? now - startedAt : null,
    restarts: sup?.restarts ?? 0,
    queueDepth: load.queueDepth,
    currentPrompt: load.currentPrompt,
    loadedModel: load.loadedModel,
    capabilities: b.capabilitySummary,
  };
}

function portOf(url: string): number | null {
  try {
    const u = new URL(url);
    return u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
  } catch {
    return null;
  }
}
