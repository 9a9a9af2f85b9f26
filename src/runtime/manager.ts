/**
 * The manager: owns the client, the shared cache, controllers, leader election, event recorders, the probe and
 * metrics servers, and shutdown.
 *
 * Start order (controller-runtime): probe + metrics servers → informers (followers too: warm caches, no writes) →
 * leader election → wait for every cache to sync (2 min, else fail) → controllers' workers.
 * Stop (SIGTERM): controllers stop taking work and drain in-flight reconciles (30 s) → event recorders flush →
 * the Lease is released (left to expire if reconciles were abandoned) → watches and servers close.
 * Lease lost: writes are refused at once (the write fence), controllers stop and their in-flight reconciles end, then
 * the manager campaigns again in-process (leadership.ts); only if reconciles do not end does it give up (`onLeaderLost`,
 * default: exit 1).
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { Registry } from "prom-client";
import { KubeClient } from "./client.ts";
import type { RequestCounter } from "./client.ts";
import type { Clock } from "./clock.ts";
import { Controller } from "./controller.ts";
import type { ControllerMetrics, ControllerSpec, SourceSpec } from "./controller.ts";
import { CrdAvailability } from "./discovery.ts";
import { errorMessage } from "./errors.ts";
import { apiEventSink } from "./event-sink.ts";
import { EventRecorder } from "./events.ts";
import type { InformerMetrics } from "./informer.ts";
import { loadKubeConfig } from "./kubeconfig.ts";
import type { RestConfig } from "./kubeconfig.ts";
import type { LeaderElectionMetrics } from "./leader.ts";
import { Leadership, leaderIdentity } from "./leadership.ts";
import { apiLeaseStore } from "./lease-store.ts";
import { createLogger } from "./log.ts";
import type { Logger } from "./log.ts";
import { createRuntimeMetrics } from "./metrics.ts";
import { secureMetricsServing } from "./metrics-auth.ts";
import type { SecureMetricsOptions } from "./metrics-auth.ts";
import { startMetricsServer, startProbeServer } from "./servers.ts";
import type { Check, RunningServer } from "./servers.ts";
import { SharedCache } from "./shared-cache.ts";

/** The metric sinks the manager wires into its parts; default: metrics.ts on a fresh prom-client Registry. */
export interface ManagerMetrics {
  registry: { metrics(): Promise<string>; contentType: string };
  requestCounter?: RequestCounter;
  controller?(name: string): ControllerMetrics;
  leaderElection?(name: string): LeaderElectionMetrics;
  informer?: InformerMetrics;
}

export interface ManagerOptions extends SecureMetricsOptions {
  /** Server-side-apply field manager of every write. */
  fieldManager: string;
  /** Where the API server is and how to authenticate (default: `loadKubeConfig(kubeconfigPath)`). */
  kubeConfig?: RestConfig;
  kubeconfigPath?: string | undefined;
  client?: KubeClient;
  logger?: Logger;
  logLevel?: string;
  metrics?: ManagerMetrics;
  clock?: Clock;
  metricsBindAddress?: string;
  /** HTTPS, and only callers the API server authorizes for `get /metrics` (default true; see metrics-auth.ts). */
  metricsSecure?: boolean;
  healthProbeBindAddress?: string;
  leaderElect?: boolean;
  leaderElectionNamespace?: string | undefined;
  leaderElectionId?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Restrict namespaced watches to one namespace. */
  namespace?: string | undefined;
  /** Default workers per controller. */
  concurrency?: number;
  gracefulShutdownTimeoutMs?: number;
  cacheSyncTimeoutMs?: number;
  /** controller-runtime SyncPeriod (10 h). */
  syncPeriodMs?: number;
  /** `$POD_NAME`, else `hostname_uuid` (leadership.ts). */
  identity?: string;
  /** Leadership lost and the leader's work could not be stopped: by default log and exit(1). */
  onLeaderLost?: () => void;
}

/** The namespace this pod runs in: $POD_NAMESPACE (downward API) or the service account's namespace file. */
function podNamespace(): string | undefined {
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

const SERVICE_ACCOUNT_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

interface OptionalSource {
  controller: Controller;
  source: SourceSpec;
}

export class Manager {
  readonly client: KubeClient;
  readonly cache: SharedCache;
  readonly logger: Logger;
  readonly optionalApis: CrdAvailability;
  readonly identity: string;
  readonly metrics: ManagerMetrics;
  private readonly opts: ManagerOptions;
  private readonly controllers: Controller[] = [];
  private readonly optional: OptionalSource[] = [];
  private readonly recorders = new Map<string, EventRecorder>();
  private readonly healthChecks = new Map<string, Check>();
  private readonly readyChecks = new Map<string, Check>();
  private servers: RunningServer[] = [];
  private readonly leadership: Leadership | undefined;
  /** The leadership term whose controllers run (or are starting); undefined while they are stopped. */
  private term: AbortSignal | undefined;
  private state: "new" | "running" | "stopping" | "stopped" = "new";
  private probePort: number | undefined;
  private metricsPort: number | undefined;

  constructor(opts: ManagerOptions) {
    this.opts = opts;
    this.metrics = opts.metrics ?? createRuntimeMetrics(new Registry(), { clock: opts.clock });
    this.logger = opts.logger ?? createLogger({ level: opts.logLevel ?? "info" });
    this.identity = opts.identity ?? leaderIdentity();
    if (opts.client && opts.leaderElect) throw new Error("with leader election the manager makes its own client (it carries the write fence)");
    const kubeConfig = opts.client?.config ?? opts.kubeConfig ?? loadKubeConfig(opts.kubeconfigPath);
    this.leadership = opts.leaderElect ? this.createLeadership(kubeConfig) : undefined;
    this.client =
      opts.client ??
      new KubeClient(kubeConfig, {
        fieldManager: opts.fieldManager,
        requestCounter: this.metrics.requestCounter,
        writeFence: this.leadership,
      });
    this.cache = new SharedCache({
      client: this.client,
      clock: opts.clock,
      logger: this.logger,
      metrics: this.metrics.informer,
      namespace: opts.namespace,
      resyncPeriodMs: opts.syncPeriodMs,
    });
    this.optionalApis = new CrdAvailability(this.cache, this.logger);
    this.healthChecks.set("ping", () => true);
    this.readyChecks.set("informers-synced", () => this.cache.hasSynced());
  }

  /** Ports actually bound (useful with `:0`). */
  ports(): { probe: number | undefined; metrics: number | undefined } {
    return { probe: this.probePort, metrics: this.metricsPort };
  }

  addHealthCheck(name: string, check: Check): void {
    this.healthChecks.set(name, check);
  }

  addReadyCheck(name: string, check: Check): void {
    this.readyChecks.set(name, check);
  }

  /** Register a controller; its informers are created now so that caches warm up even on followers. */
  add(spec: ControllerSpec): Controller {
    if (this.state !== "new") throw new Error("controllers must be added before start()");
    const ctrl = new Controller(spec, {
      logger: this.logger,
      clock: this.opts.clock,
      metrics: this.metrics.controller?.(spec.name),
      defaultConcurrency: this.opts.concurrency,
    });
    for (const source of spec.sources) {
      if (source.optionalCrd) {
        this.optional.push({ controller: ctrl, source });
        this.optionalApis.track(source.optionalCrd, source.resource.version, (available) => {
          void this.onOptionalChange({ controller: ctrl, source }, available);
        });
      } else {
        this.cache.informerFor(source.resource, source.selector, source.transform);
      }
    }
    this.controllers.push(ctrl);
    return ctrl;
  }

  /** One events.k8s.io recorder per reporting controller, reporting instance `<controller>-<hostname>`. */
  eventRecorder(reportingController: string): EventRecorder {
    let r = this.recorders.get(reportingController);
    if (!r) {
      r = new EventRecorder({
        sink: apiEventSink(this.client),
        reportingController,
        reportingInstance: `${reportingController}-${hostname()}`,
        clock: this.opts.clock,
        logger: this.logger,
      });
      this.recorders.set(reportingController, r);
    }
    return r;
  }

  isLeader(): boolean {
    return this.leadership ? this.leadership.isLeader() : this.state === "running";
  }

  /** Start everything; resolves once controllers run (leader) or the election campaign started (follower). */
  async start(): Promise<void> {
    if (this.state !== "new") throw new Error("manager already started");
    this.state = "running";
    const probe = await startProbeServer(this.opts.healthProbeBindAddress ?? ":8081", this.healthChecks, this.readyChecks);
    const secure = (this.opts.metricsSecure ?? true) ? secureMetricsServing(this.client, this.logger, this.opts) : undefined;
    const metrics = await startMetricsServer(this.opts.metricsBindAddress ?? ":8080", this.metrics.registry, secure);
    this.probePort = probe?.port;
    this.metricsPort = metrics?.port;
    this.servers = [probe, metrics].filter((s) => s !== undefined);
    this.cache.start();
    if (!this.leadership) {
      await this.startControllers(new AbortController().signal);
      return;
    }
    const leadership = this.leadership;
    this.addHealthCheck("leaderElection", () => leadership.check());
    leadership.start();
  }

  /**
   * Graceful stop: no new work, in-flight reconciles drained (up to the shutdown timeout), events flushed, Lease
   * released, watches and servers closed. Resolves true if every reconcile finished in time.
   */
  async stop(): Promise<boolean> {
    if (this.state === "stopping" || this.state === "stopped") return true;
    this.state = "stopping";
    const timeout = this.opts.gracefulShutdownTimeoutMs ?? 30_000;
    this.logger.info({ timeoutMs: timeout }, "Stopping and waiting for in-flight reconciles");
    const drained = (await Promise.all(this.controllers.map((c) => c.stop(timeout)))).every(Boolean);
    if (!drained) {
      this.logger.error("in-flight reconciles did not finish within the graceful shutdown timeout");
      // Abandoned reconciles may still write; releasing now would let a standby start alongside them.
      this.leadership?.keepLeaseOnCancel("in-flight reconciles were abandoned at shutdown and may still be writing");
    }
    await Promise.all([...this.recorders.values()].map((r) => r.stop()));
    await this.leadership?.stop();
    await this.cache.stop();
    await Promise.all(this.servers.map((s) => s.close()));
    await this.client.close();
    this.state = "stopped";
    this.logger.info("Stopped");
    return drained;
  }

  /** SIGTERM/SIGINT → graceful stop → exit 0 (1 if in-flight work had to be abandoned). */
  handleSignals(exit: (code: number) => void = (code) => process.exit(code)): void {
    const onSignal = (signal: string): void => {
      this.logger.info({ signal }, "received signal, shutting down");
      this.stop().then(
        (drained) => {
          exit(drained ? 0 : 1);
        },
        (err: unknown) => {
          this.logger.error({ error: errorMessage(err) }, "shutdown failed");
          exit(1);
        },
      );
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }

  /** Leader election on its own client: lease requests never pass the write fence that they hold open. */
  private createLeadership(kubeConfig: RestConfig): Leadership {
    const namespace = this.opts.leaderElectionNamespace ?? podNamespace();
    if (!namespace) throw new Error("leader election needs a namespace (--leader-election-namespace or POD_NAMESPACE)");
    const name = this.opts.leaderElectionId ?? "controller-leader";
    const leaseClient = new KubeClient(kubeConfig, {
      fieldManager: this.opts.fieldManager,
      requestCounter: this.metrics.requestCounter,
      userAgent: "ts-controller-runtime/leader-election",
    });
    return new Leadership({
      store: apiLeaseStore(leaseClient),
      namespace,
      name,
      identity: this.identity,
      leaseDurationMs: this.opts.leaseDurationMs,
      renewDeadlineMs: this.opts.renewDeadlineMs,
      retryPeriodMs: this.opts.retryPeriodMs,
      clock: this.opts.clock,
      logger: this.logger,
      metrics: this.metrics.leaderElection?.(name),
      lead: (term) => this.startControllers(term),
      stepDown: () => this.stopControllers(),
      onUnsafe: (reason) => {
        this.giveUp(reason);
      },
    });
  }

  /** The leader's work cannot be stopped or started safely: the last resort is to end the process. */
  private giveUp(reason: string): void {
    if (this.state !== "running") return;
    this.logger.fatal({ reason }, "leadership cannot continue safely");
    if (this.opts.onLeaderLost) {
      this.opts.onLeaderLost();
      return;
    }
    this.logger.fatal("exiting");
    process.exit(1);
  }

  /** Leadership lost: stop every controller; true once each in-flight reconcile has ended (within the shutdown timeout). */
  private async stopControllers(): Promise<boolean> {
    this.term = undefined;
    const timeout = this.opts.gracefulShutdownTimeoutMs ?? 30_000;
    const reason = "leadership lost";
    return (await Promise.all(this.controllers.map((c) => c.stop(timeout, reason)))).every(Boolean);
  }

  private async startControllers(term: AbortSignal): Promise<void> {
    if (this.term !== undefined || this.state !== "running") return;
    this.term = term;
    await this.cache.waitForSync(this.opts.cacheSyncTimeoutMs ?? 120_000);
    if (this.state !== "running" || term.aborted || this.term !== term) return;
    for (const ctrl of this.controllers) {
      for (const source of ctrl.spec.sources) {
        if (!source.optionalCrd) ctrl.attach(source, this.cache.informerFor(source.resource, source.selector, source.transform));
      }
    }
    for (const o of this.optional) {
      if (this.optionalApis.isAvailable(o.source.optionalCrd!, o.source.resource.version)) {
        o.controller.attach(o.source, this.cache.informerFor(o.source.resource, o.source.selector, o.source.transform));
      }
    }
    for (const ctrl of this.controllers) ctrl.start();
  }

  /** An optional CRD appeared or went away: start or stop its informer without a restart. */
  private async onOptionalChange(o: OptionalSource, available: boolean): Promise<void> {
    const { resource, selector, transform } = o.source;
    if (available) {
      const informer = this.cache.informerFor(resource, selector, transform);
      if (this.term) o.controller.attach(o.source, informer);
      return;
    }
    const informer = this.cache.peek(resource, selector);
    if (informer) o.controller.detach(informer);
    await this.cache.remove(resource, selector);
  }
}
