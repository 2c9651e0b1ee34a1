// Prometheus metrics with one Registry per app (never prom-client's global one, so two apps in
// one process — tests — do not share or clash). Gauges are read from their owners on each
// scrape; histograms and counters are fed by events. Names follow Prometheus conventions:
// `_seconds` for durations, `_total` for counters.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { JOB_STATES, type JobStatus } from '../jobs/states.ts';

/** What the gauges read at scrape time; each owner is reached through a function. */
export interface MetricSources {
  jobCounts: () => Record<JobStatus, number>;
  queueDepth: () => number;
  /** From Pool.list(); `restarts` may be missing on backends that have no supervisor. */
  backends: () => readonly { id: string; state: string; restarts?: number | null }[];
  websocketClients: () => number;
  /** All backend states, so a state with no backend reads 0 instead of vanishing. */
  backendStates: readonly string[];
}

export type WebhookOutcome = 'delivered' | 'failed' | 'gave_up';

// Image and video jobs run from about a second to many minutes.
const JOB_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800];
// Our own added latency should stay in the milliseconds.
const OVERHEAD_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class FleetMetrics {
  readonly registry = new Registry();
  readonly jobDuration: Histogram<'status'>;
  readonly overhead: Histogram;
  readonly queueWait: Histogram;
  readonly webhookDeliveries: Counter<'outcome'>;
  readonly sseClients: Gauge;

  constructor(src: MetricSources, opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'fleet_' });

    new Gauge({
      name: 'fleet_jobs',
      help: 'Jobs in the store by state',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = src.jobCounts();
        for (const s of JOB_STATES) this.set({ state: s }, counts[s]);
      },
    });
    new Gauge({
      name: 'fleet_queue_depth',
      help: 'Jobs waiting to be dispatched',
      registers,
      collect() { this.set(src.queueDepth()); },
    });
    new Gauge({
      name: 'fleet_backends',
      help: 'ComfyUI backends by state',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        const counts = new Map(src.backendStates.map((s) => [s, 0]));
        for (const b of src.backends()) counts.set(b.state, (counts.get(b.state) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'fleet_backend_restarts',
      help: 'Restarts of each spawned backend since it was added',
      labelNames: ['backend'],
      registers,
      collect() {
        this.reset();
        for (const b of src.backends()) this.set({ backend: b.id }, typeof b.restarts === 'number' ? b.restarts : 0);
      },
    });
    new Gauge({
      name: 'fleet_websocket_clients',
      help: 'Open websocket connections on GET /ws',
      registers,
      collect() { this.set(src.websocketClients()); },
    });
    this.sseClients = new Gauge({ name: 'fleet_sse_clients', help: 'Open server-sent event streams (GET /jobs/:id/events)', registers });
    this.jobDuration = new Histogram({
      name: 'fleet_job_duration_seconds',
      help: 'Run time of finished jobs, first attempt start to finish',
      labelNames: ['status'],
      buckets: JOB_BUCKETS,
      registers,
    });
    this.overhead = new Histogram({
      name: 'fleet_job_overhead_seconds',
      help: 'Latency the service adds to a job: run time minus the time ComfyUI spent executing it',
      buckets: OVERHEAD_BUCKETS,
      registers,
    });
    this.queueWait = new Histogram({
      name: 'fleet_job_queue_wait_seconds',
      help: 'Time jobs waited in the queue before their first attempt',
      buckets: JOB_BUCKETS,
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'fleet_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['delivered', 'failed', 'gave_up'] as const) this.webhookDeliveries.inc({ outcome }, 0);
  }

  /** For the webhook sender's onDelivery option. */
  webhookDelivered = (outcome: WebhookOutcome): void => {
    this.webhookDeliveries.inc({ outcome });
  };

  /** Records a finished job's timings (null timings are skipped, not recorded as zero). */
  observeJob(status: string, t: { runMs: number | null; comfyMs: number | null; overheadMs: number | null; queuedMs: number | null }): void {
    if (t.runMs !== null) this.jobDuration.observe({ status }, t.runMs / 1000);
    if (t.overheadMs !== null) this.overhead.observe(t.overheadMs / 1000);
    if (t.queuedMs !== null) this.queueWait.observe(t.queuedMs / 1000);
  }
}
