/**
 * Leader election on a coordination.k8s.io/v1 Lease with client-go's algorithm (§11 of the runtime notes).
 * Clocks of different machines are never compared: a lease held by someone else counts as valid until
 * `leaseDurationSeconds` have passed on *our* clock since we last saw its record change.
 * Leadership ends immediately when a renewal cannot succeed within `renewDeadlineMs` (or when we see another
 * holder); the manager then stops its controllers and campaigns again (leadership.ts). Writes are allowed only
 * within `renewDeadlineMs` of the start of our last successful renewal (`mayWrite`): others see the lease expire no
 * sooner than `leaseDurationMs` after that renewal reached the API server, so the margin is the difference.
 */
import { microTime, realClock, type Clock } from "./clock.ts";
import { isConflict } from "./errors.ts";
import type { Logger } from "./log.ts";
import type { ObjectMeta } from "./objects.ts";

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime strings. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  [field: string]: unknown;
}

export interface Lease {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: ObjectMeta;
  spec?: LeaseSpec;
}

export interface LeaseStore {
  /** `undefined` when the Lease does not exist. */
  get(namespace: string, name: string, signal?: AbortSignal): Promise<Lease | undefined>;
  create(namespace: string, lease: Lease, signal?: AbortSignal): Promise<Lease>;
  /** PUT carrying `metadata.resourceVersion`; throws on 409 Conflict. */
  update(namespace: string, lease: Lease, signal?: AbortSignal): Promise<Lease>;
}

export interface LeaderElectionMetrics {
  /** `leader_election_master_status`. */
  leading(isLeader: boolean): void;
  /** `leader_election_slowpath_total`: an optimistic renewal failed and the full Get+Update path ran. */
  slowpath(): void;
}

/** `lost`: the lease could not be renewed or another holder took it. `cancelled`: `run`'s signal was aborted. */
export type StoppedLeadingReason = "lost" | "cancelled";

export interface LeaderElectorOptions {
  store: LeaseStore;
  namespace: string;
  name: string;
  /** Never shared by two live processes: the pod name, or `hostname_uuid` (leadership.ts). */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  /** Called once leadership is acquired; `signal` aborts when it ends. */
  onStartedLeading(signal: AbortSignal): void;
  /** Called when leadership ends (only if it had started). */
  onStoppedLeading(reason: StoppedLeadingReason): void;
  /** On cancel, hand the lease over (holder "", duration 1 s) so a standby takes over within about a second. */
  releaseOnCancel?: boolean;
  /** How long past the lease duration `check()` tolerates a leader that has not renewed (controller-runtime: 20 s). */
  healthGraceMs?: number;
  metrics?: LeaderElectionMetrics;
  logger?: Logger;
  /** Randomness for the acquire jitter (tests pin it). */
  random?: () => number;
}

const JITTER_FACTOR = 1.2;

/** The part of the Lease the algorithm reads; compared as a whole to detect a change by another candidate. */
interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}

function recordOf(spec: LeaseSpec | undefined): LeaseRecord {
  return {
    holderIdentity: spec?.holderIdentity ?? "",
    leaseDurationSeconds: spec?.leaseDurationSeconds ?? 0,
    acquireTime: spec?.acquireTime ?? "",
    renewTime: spec?.renewTime ?? "",
    leaseTransitions: spec?.leaseTransitions ?? 0,
  };
}

/** Resolves `false` as soon as `signal` aborts, otherwise with `work`'s result. */
function unlessAborted(work: Promise<boolean>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    void work.then((ok) => {
      signal.removeEventListener("abort", onAbort);
      resolve(ok);
    });
  });
}

export class LeaderElector {
  private readonly opts: LeaderElectorOptions;
  private readonly clock: Clock;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly random: () => number;

  /** The last record seen (or written), when we first saw it on our clock, and the Lease it came in. */
  private observed: LeaseRecord = recordOf(undefined);
  private observedRaw = "";
  private observedTime = 0;
  private lease: Lease | undefined;
  /** When our last successful acquire/renew request was sent (our clock). */
  private renewedAt = Number.NEGATIVE_INFINITY;

  private leading = false;
  private started = false;
  /** The acquire/renew request last started; awaited before a release so the release carries its resourceVersion. */
  private inFlight: Promise<boolean> | undefined;
  /** Why the lease must not be released on cancel (set by the manager when work was abandoned). */
  private keepLeaseReason: string | undefined;

  constructor(opts: LeaderElectorOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    this.random = opts.random ?? Math.random;
    if (!opts.identity) throw new Error("leader election: identity is required");
    if (!opts.namespace || !opts.name) throw new Error("leader election: lease namespace and name are required");
    if (!(this.retryPeriodMs > 0)) throw new Error("leader election: retryPeriod must be > 0");
    if (!(this.leaseDurationMs > this.renewDeadlineMs)) {
      throw new Error(
        `leader election: leaseDuration (${this.leaseDurationMs} ms) must be greater than renewDeadline (${this.renewDeadlineMs} ms)`,
      );
    }
    if (!(this.renewDeadlineMs > JITTER_FACTOR * this.retryPeriodMs)) {
      throw new Error(
        `leader election: renewDeadline (${this.renewDeadlineMs} ms) must be greater than ${JITTER_FACTOR} × retryPeriod (${this.retryPeriodMs} ms)`,
      );
    }
  }

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * True while we lead and our last successful renewal started less than the renew deadline ago. Checked as each
   * write leaves, so a write after an event-loop stall longer than that is refused even before the renew loop
   * notices the loss.
   */
  mayWrite(): boolean {
    return this.leading && this.clock.now() - this.renewedAt < this.renewDeadlineMs;
  }

  /**
   * Liveness adaptor: false when we believe we lead but have not renewed for longer than the lease duration plus
   * the grace period (e.g. a stalled event loop); a follower is always healthy.
   */
  check(): boolean {
    if (!this.leading) return true;
    const grace = this.opts.healthGraceMs ?? 20_000;
    return this.clock.now() - this.observedTime <= this.leaseDurationMs + grace;
  }

  /**
   * On cancel, leave the lease to expire instead of releasing it, e.g. because abandoned reconciles may still be
   * writing: a standby must not start before they are gone.
   */
  keepLeaseOnCancel(reason: string): void {
    this.keepLeaseReason = reason;
  }

  /**
   * Campaigns until leadership is acquired, then renews until it is lost or `signal` aborts. Resolves when
   * leadership ended (after the release, if configured) or when `signal` aborts before it started. Abort `signal`
   * only once the leader's work has stopped: releasing the lease earlier would let a second leader start.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error("leader election: run() may be called once");
    this.started = true;
    const log = this.opts.logger;
    log?.info({ lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity }, "attempting to acquire leader lease");
    while (!signal.aborted && !(await this.boundedAttempt(signal))) {
      const wait = this.retryPeriodMs * (1 + this.random() * JITTER_FACTOR);
      await this.clock.sleep(wait, signal);
    }
    if (signal.aborted) return;

    log?.info({ identity: this.opts.identity }, "successfully acquired lease");
    const leadership = new AbortController();
    this.setLeading(true);
    try {
      this.opts.onStartedLeading(leadership.signal);
    } catch (err) {
      log?.error({ error: err }, "onStartedLeading threw");
    }
    const reason = await this.renewUntilLost(signal);
    this.setLeading(false);
    leadership.abort();
    if (reason === "lost") log?.error({ identity: this.opts.identity }, "leader election lost");
    else if (this.opts.releaseOnCancel && this.keepLeaseReason !== undefined) {
      log?.warn({ reason: this.keepLeaseReason }, "not releasing the leader lease; it will expire after its duration");
    } else if (this.opts.releaseOnCancel) {
      // A renewal abandoned by the cancel may still complete; its response carries the resourceVersion the release needs.
      await this.settleInFlight();
      await this.release();
    }
    this.opts.onStoppedLeading(reason);
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.opts.metrics?.leading(leading);
  }

  /** One acquire attempt, abandoned when `signal` aborts or after the renew deadline (a hung request). */
  private async boundedAttempt(signal: AbortSignal): Promise<boolean> {
    const timeout = new AbortController();
    const timer = this.clock.setTimeout(() => {
      timeout.abort();
    }, this.renewDeadlineMs);
    const bound = AbortSignal.any([signal, timeout.signal]);
    try {
      return await unlessAborted(this.track(this.tryAcquireOrRenew(bound)), bound);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  /** Renews every retry period; each renewal must succeed within the renew deadline. */
  private async renewUntilLost(signal: AbortSignal): Promise<StoppedLeadingReason> {
    for (;;) {
      await this.clock.sleep(this.retryPeriodMs, signal);
      if (signal.aborted) return "cancelled";
      const deadline = new AbortController();
      const timer = this.clock.setTimeout(() => {
        deadline.abort();
      }, this.renewDeadlineMs);
      const round = AbortSignal.any([signal, deadline.signal]);
      try {
        for (;;) {
          const renewed = await unlessAborted(this.track(this.tryAcquireOrRenew(round)), round);
          if (signal.aborted) return "cancelled";
          if (renewed) break;
          if (deadline.signal.aborted) return "lost";
          if (this.observed.holderIdentity !== this.opts.identity) {
            // Someone else holds the lease now; waiting out the deadline would mean two leaders.
            return "lost";
          }
          this.opts.logger?.warn({ identity: this.opts.identity }, "failed to renew leader lease; retrying");
          await this.clock.sleep(this.retryPeriodMs, round);
          if (signal.aborted) return "cancelled";
          if (deadline.signal.aborted) return "lost";
        }
      } finally {
        this.clock.clearTimeout(timer);
      }
    }
  }

  private track(attempt: Promise<boolean>): Promise<boolean> {
    this.inFlight = attempt;
    return attempt;
  }

  /** Waits for the last acquire/renew request to finish, at most the renew deadline (a hung request is given up). */
  private async settleInFlight(): Promise<void> {
    const pending = this.inFlight;
    if (!pending) return;
    const timeout = new AbortController();
    const timer = this.clock.setTimeout(() => {
      timeout.abort();
    }, this.renewDeadlineMs);
    await unlessAborted(pending, timeout.signal);
    this.clock.clearTimeout(timer);
    this.inFlight = undefined;
  }

  /** One round of the client-go algorithm; true when we hold the lease afterwards. Never throws. */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { store, namespace, name, identity } = this.opts;
    const started = this.clock.now();
    const now = microTime(started);
    const desired: LeaseRecord = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    };

    // Fast path: we hold a lease that is still valid, so update the copy we have without reading it first.
    if (this.lease && this.observed.holderIdentity === identity && this.locallyValid(started)) {
      desired.acquireTime = this.observed.acquireTime;
      desired.leaseTransitions = this.observed.leaseTransitions;
      try {
        this.remember(await store.update(namespace, this.withRecord(this.lease, desired), signal), desired, started);
        return true;
      } catch (err) {
        this.opts.metrics?.slowpath();
        this.opts.logger?.debug({ error: err }, "optimistic lease renewal failed; falling back to the slow path");
      }
    }

    let current: Lease | undefined;
    try {
      current = await store.get(namespace, name, signal);
    } catch (err) {
      this.opts.logger?.debug({ error: err }, "could not read the leader lease");
      return false;
    }
    if (!current) {
      try {
        const fresh: Lease = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { namespace, name } };
        this.remember(await store.create(namespace, this.withRecord(fresh, desired), signal), desired, started);
        return true;
      } catch (err) {
        this.opts.logger?.debug({ error: err }, "could not create the leader lease");
        return false;
      }
    }

    const record = recordOf(current.spec);
    const raw = JSON.stringify(record);
    if (raw !== this.observedRaw) {
      this.observed = record;
      this.observedRaw = raw;
      this.observedTime = this.clock.now();
    }
    this.lease = current;
    if (record.holderIdentity && record.holderIdentity !== identity && this.locallyValid(this.clock.now())) {
      return false;
    }
    if (record.holderIdentity === identity) {
      desired.acquireTime = record.acquireTime;
      desired.leaseTransitions = record.leaseTransitions;
    } else {
      desired.leaseTransitions = record.leaseTransitions + 1;
    }
    try {
      this.remember(await store.update(namespace, this.withRecord(current, desired), signal), desired, started);
      return true;
    } catch (err) {
      this.opts.logger?.debug({ error: err }, "could not update the leader lease");
      return false;
    }
  }

  /** Hands the lease over: empty holder, 1 s duration. Bounded by the renew deadline. */
  private async release(): Promise<void> {
    if (!this.lease || this.observed.holderIdentity !== this.opts.identity) return;
    const nowMs = this.clock.now();
    const now = microTime(nowMs);
    const record: LeaseRecord = {
      holderIdentity: "",
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: this.observed.leaseTransitions,
    };
    const timeout = new AbortController();
    const timer = this.clock.setTimeout(() => {
      timeout.abort();
    }, this.renewDeadlineMs);
    const write = this.releaseWrite(record, nowMs, timeout.signal).catch((err: unknown) => {
      this.opts.logger?.warn({ error: err }, "could not release the leader lease; it will expire instead");
      return false;
    });
    if (await unlessAborted(write, timeout.signal)) this.opts.logger?.info("released the leader lease");
    this.clock.clearTimeout(timer);
  }

  /**
   * The release PUT. On 409 (our copy is stale, e.g. a renewal we gave up on did land) the Lease is read again and
   * the release retried once, but only if we still hold it: another holder's lease is never touched.
   */
  private async releaseWrite(record: LeaseRecord, nowMs: number, signal: AbortSignal): Promise<boolean> {
    const { store, namespace, name, identity } = this.opts;
    try {
      this.remember(await store.update(namespace, this.withRecord(this.lease!, record), signal), record, nowMs);
      return true;
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
    const current = await store.get(namespace, name, signal);
    if (!current || recordOf(current.spec).holderIdentity !== identity) {
      this.opts.logger?.info({ holder: current?.spec?.holderIdentity ?? "" }, "leader lease changed hands before the release; leaving it");
      return false;
    }
    record.leaseTransitions = recordOf(current.spec).leaseTransitions;
    this.remember(await store.update(namespace, this.withRecord(current, record), signal), record, nowMs);
    return true;
  }

  private locallyValid(now: number): boolean {
    return this.observedTime + this.observed.leaseDurationSeconds * 1000 > now;
  }

  /** Records a write of ours, timed from before the request: our own view of our lease errs on the short side. */
  private remember(lease: Lease, written: LeaseRecord, startedAt: number): void {
    this.lease = lease;
    this.observed = lease.spec ? recordOf(lease.spec) : written;
    this.observedRaw = JSON.stringify(this.observed);
    this.observedTime = startedAt;
    this.renewedAt = written.holderIdentity === this.opts.identity ? startedAt : Number.NEGATIVE_INFINITY;
  }

  /** `lease` with the election fields replaced; other spec fields (newer API versions) are kept. */
  private withRecord(lease: Lease, record: LeaseRecord): Lease {
    return { ...lease, spec: { ...lease.spec, ...record } };
  }
}
