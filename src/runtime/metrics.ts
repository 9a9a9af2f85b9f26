/**
 * Prometheus metrics with controller-runtime's names, labels and buckets, so dashboards and alerts written for Go
 * operators work unchanged. One Registry per manager (never prom-client's global one), which keeps tests isolated.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from "prom-client";
import { realClock, type Clock } from "./clock.ts";
import type { LeaderElectionMetrics } from "./leader.ts";
import type { UnfinishedWork, WorkQueueMetrics } from "./queue.ts";

/** controller-runtime's `controller_runtime_reconcile_time_seconds` buckets. */
export const RECONCILE_TIME_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75,
  2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** client-go's workqueue duration buckets: 1e-8 s × 10^k for 12 buckets (10 ns … 1000 s), written exactly. */
export const WORKQUEUE_DURATION_BUCKETS = Array.from({ length: 12 }, (_, k) => Number(`1e${k - 8}`));

export const RECONCILE_RESULTS = ["success", "error", "requeue", "requeue_after"] as const;
export type ReconcileResult = (typeof RECONCILE_RESULTS)[number];
export type ReconcileErrorKind = "error" | "terminal" | "panic" | "timeout";

/** The `controller_runtime_*` metrics of one controller, plus its queue's `workqueue_*` metrics. */
export interface ControllerRuntimeMetrics {
  reconciled(result: ReconcileResult, seconds: number): void;
  /** `error` → reconcile_errors_total, `terminal` → terminal_reconcile_errors_total, `panic`, `timeout` alike. */
  error(kind: ReconcileErrorKind): void;
  maxConcurrent(n: number): void;
  activeWorkers(n: number): void;
  queue: WorkQueueMetrics;
}

export interface WatchMetrics {
  watchRestart(resource: string, reason: string): void;
  /** An event arrived for `resource` (feeds the last-event age gauge). */
  event(resource: string): void;
}

export interface RuntimeMetrics {
  registry: Registry;
  /** `rest_client_requests_total{code, method, host}`. */
  requestCounter: { inc(labels: { code: string; method: string; host: string }): void };
  controller(name: string): ControllerRuntimeMetrics;
  /** `workqueue_*` for a queue; `controller` defaults to `name` (controller-runtime sets both to the same value). */
  workQueue(name: string, controller?: string): WorkQueueMetrics;
  leaderElection(name: string): LeaderElectionMetrics;
  informer: WatchMetrics;
}

export interface RuntimeMetricsOptions {
  clock?: Clock;
  /** Register prom-client's process_* / nodejs_* collectors (default true). */
  defaultMetrics?: boolean;
  /** Prefix of the metrics that have no upstream counterpart (watch health); default `operator`. */
  prefix?: string;
}

export function createRuntimeMetrics(registry: Registry, opts: RuntimeMetricsOptions = {}): RuntimeMetrics {
  const clock = opts.clock ?? realClock;
  const prefix = opts.prefix ?? "operator";
  const registers = [registry];
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const reconcileTotal = new Counter({
    name: "controller_runtime_reconcile_total",
    help: "Total number of reconciliations per controller",
    labelNames: ["controller", "result"] as const,
    registers,
  });
  const errorCounters: Record<ReconcileErrorKind, Counter<"controller">> = {
    error: new Counter({
      name: "controller_runtime_reconcile_errors_total",
      help: "Total number of reconciliation errors per controller",
      labelNames: ["controller"] as const,
      registers,
    }),
    terminal: new Counter({
      name: "controller_runtime_terminal_reconcile_errors_total",
      help: "Total number of terminal reconciliation errors per controller",
      labelNames: ["controller"] as const,
      registers,
    }),
    panic: new Counter({
      name: "controller_runtime_reconcile_panics_total",
      help: "Total number of reconciliation panics per controller",
      labelNames: ["controller"] as const,
      registers,
    }),
    timeout: new Counter({
      name: "controller_runtime_reconcile_timeouts_total",
      help: "Total number of reconciliation timeouts per controller",
      labelNames: ["controller"] as const,
      registers,
    }),
  };
  const reconcileTime = new Histogram({
    name: "controller_runtime_reconcile_time_seconds",
    help: "Length of time per reconciliation per controller",
    labelNames: ["controller"] as const,
    buckets: RECONCILE_TIME_BUCKETS,
    registers,
  });
  const maxConcurrent = new Gauge({
    name: "controller_runtime_max_concurrent_reconciles",
    help: "Maximum number of concurrent reconciles per controller",
    labelNames: ["controller"] as const,
    registers,
  });
  const activeWorkers = new Gauge({
    name: "controller_runtime_active_workers",
    help: "Number of currently used workers per controller",
    labelNames: ["controller"] as const,
    registers,
  });

  const queueLabels = ["name", "controller"] as const;
  const depth = new Gauge({
    name: "workqueue_depth",
    help: "Current depth of workqueue",
    labelNames: [...queueLabels, "priority"] as const,
    registers,
  });
  const adds = new Counter({
    name: "workqueue_adds_total",
    help: "Total number of adds handled by workqueue",
    labelNames: queueLabels,
    registers,
  });
  const retries = new Counter({
    name: "workqueue_retries_total",
    help: "Total number of retries handled by workqueue",
    labelNames: queueLabels,
    registers,
  });
  const queueDuration = new Histogram({
    name: "workqueue_queue_duration_seconds",
    help: "How long in seconds an item stays in workqueue before being requested",
    labelNames: queueLabels,
    buckets: WORKQUEUE_DURATION_BUCKETS,
    registers,
  });
  const workDuration = new Histogram({
    name: "workqueue_work_duration_seconds",
    help: "How long in seconds processing an item from workqueue takes",
    labelNames: queueLabels,
    buckets: WORKQUEUE_DURATION_BUCKETS,
    registers,
  });
  // In-flight work is read from each queue at scrape time (client-go polls every 500 ms instead).
  const unfinishedProbes = new Map<string, { labels: { name: string; controller: string }; probe: () => UnfinishedWork }>();
  const readProbes = (pick: (u: UnfinishedWork) => number, gauge: Gauge<"name" | "controller">): void => {
    for (const { labels, probe } of unfinishedProbes.values()) gauge.set(labels, pick(probe()));
  };
  const unfinished: Gauge<"name" | "controller"> = new Gauge({
    name: "workqueue_unfinished_work_seconds",
    help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration",
    labelNames: queueLabels,
    registers,
    collect: () => {
      readProbes((u) => u.unfinishedSeconds, unfinished);
    },
  });
  const longest: Gauge<"name" | "controller"> = new Gauge({
    name: "workqueue_longest_running_processor_seconds",
    help: "How many seconds has the longest running processor for workqueue been running",
    labelNames: queueLabels,
    registers,
    collect: () => {
      readProbes((u) => u.longestRunningSeconds, longest);
    },
  });

  const requests = new Counter({
    name: "rest_client_requests_total",
    help: "Number of HTTP requests, partitioned by status code, method, and host",
    labelNames: ["code", "method", "host"] as const,
    registers,
  });

  const leaderStatus = new Gauge({
    name: "leader_election_master_status",
    help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master",
    labelNames: ["name"] as const,
    registers,
  });
  const slowpath = new Counter({
    name: "leader_election_slowpath_total",
    help: "Total number of slow paths exercised in renewing leader leases",
    labelNames: ["name"] as const,
    registers,
  });

  const watchRestarts = new Counter({
    name: `${prefix}_watch_restarts_total`,
    help: "Watch streams re-opened, by resource and reason (expired = 410 relist, error, idle-timeout)",
    labelNames: ["resource", "reason"] as const,
    registers,
  });
  const lastEventAt = new Map<string, number>();
  const lastEventAge: Gauge<"resource"> = new Gauge({
    name: `${prefix}_watch_last_event_age_seconds`,
    help: "Seconds since the last watch event per resource (a growing value on a busy resource hints at a dead watch)",
    labelNames: ["resource"] as const,
    registers,
    collect: () => {
      const now = clock.now();
      for (const [resource, at] of lastEventAt) lastEventAge.set({ resource }, Math.max(0, now - at) / 1000);
    },
  });

  const queues = new Map<string, WorkQueueMetrics>();
  const workQueue = (name: string, controller = name): WorkQueueMetrics => {
    const key = `${name}\u0000${controller}`;
    const existing = queues.get(key);
    if (existing) return existing;
    const labels = { name, controller };
    adds.inc(labels, 0);
    retries.inc(labels, 0);
    depth.set({ ...labels, priority: "" }, 0);
    const m: WorkQueueMetrics = {
      added: () => {
        adds.inc(labels);
      },
      depth: (n) => {
        depth.set({ ...labels, priority: "" }, n);
      },
      queued: (s) => {
        queueDuration.observe(labels, s);
      },
      worked: (s) => {
        workDuration.observe(labels, s);
      },
      retried: () => {
        retries.inc(labels);
      },
      observeUnfinished: (probe) => {
        unfinishedProbes.set(key, { labels, probe });
      },
    };
    queues.set(key, m);
    return m;
  };

  const controllers = new Map<string, ControllerRuntimeMetrics>();
  const controllerMetrics = (controller: string): ControllerRuntimeMetrics => {
    const existing = controllers.get(controller);
    if (existing) return existing;
    // Pre-initialised to 0 so rate() and absent() work before the first reconcile.
    for (const result of RECONCILE_RESULTS) reconcileTotal.inc({ controller, result }, 0);
    for (const c of Object.values(errorCounters)) c.inc({ controller }, 0);
    const m: ControllerRuntimeMetrics = {
      reconciled: (result, seconds) => {
        reconcileTotal.inc({ controller, result });
        reconcileTime.observe({ controller }, seconds);
      },
      error: (kind) => {
        errorCounters[kind].inc({ controller });
      },
      maxConcurrent: (n) => {
        maxConcurrent.set({ controller }, n);
      },
      activeWorkers: (n) => {
        activeWorkers.set({ controller }, n);
      },
      queue: workQueue(controller),
    };
    controllers.set(controller, m);
    return m;
  };

  return {
    registry,
    requestCounter: requests,
    controller: controllerMetrics,
    workQueue,
    leaderElection: (name) => {
      leaderStatus.set({ name }, 0);
      slowpath.inc({ name }, 0);
      return {
        leading: (isLeader) => {
          leaderStatus.set({ name }, isLeader ? 1 : 0);
        },
        slowpath: () => {
          slowpath.inc({ name });
        },
      };
    },
    informer: {
      watchRestart: (resource, reason) => {
        watchRestarts.inc({ resource, reason });
      },
      event: (resource) => {
        lastEventAt.set(resource, clock.now());
      },
    },
  };
}
