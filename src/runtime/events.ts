/**
 * events.k8s.io/v1 event recorder with client-go's series semantics (§10 of the runtime notes):
 * - events with the same key (type, action, reason, reporting controller/instance, regarding, related, and the
 *   note) form one series: the 1st occurrence is POSTed, the 2nd PATCHes `series {count: 2, …}`. client-go's
 *   isomorphic key leaves the note out, so a series keeps the note of its first occurrence ("ChildrenCreated x4"
 *   listing the children of the first pass). The API server refuses any change of `note`, so one Event object can
 *   only tell the truth about occurrences with the same note: a different note opens its own series (as core/v1's
 *   dedup key includes the message), and the per-object spam bucket bounds how many a churning note can open;
 * - later repeats only bump the count in memory; a flush every 30 s PATCHes series whose count changed.
 *   client-go leaves the count stale until its 30 min heartbeat, kube-rs PATCHes every repeat (one API write per
 *   failed reconcile); a short flush keeps `kubectl describe` current while bounding writes to 1 per series per 30 s;
 * - every 30 min cached series are re-sent (heartbeat); series idle for 6 min get a final write and are evicted;
 * - a token bucket per regarding object (burst 25, +1 per 300 s, core/v1's spam filter numbers) limits how many
 *   new series an object can open, since events.k8s.io/v1 has no spam filter of its own.
 * Only `series` is ever PATCHed: the API server rejects updates to `note` and the other fields.
 * `publish` never throws and never waits: writes go through a bounded buffer to one background sender.
 */
import { microTime, realClock, type Clock } from "./clock.ts";
import {
  EVENT_LIMITS,
  truncateUtf8,
  type EventSeries,
  type EventSink,
  type EventsV1Event,
  type ObjectReference,
  type PublishedEvent,
} from "./event-types.ts";
import type { Logger } from "./log.ts";
import { TokenBucket } from "./ratelimit.ts";

export { EVENT_LIMITS, truncateUtf8 } from "./event-types.ts";
export type {
  EventSeries,
  EventSink,
  EventType,
  EventsV1Event,
  ObjectReference,
  PublishedEvent,
} from "./event-types.ts";
export { microTime } from "./clock.ts";

export interface EventRecorderOptions {
  sink: EventSink;
  reportingController: string;
  /** Usually `<controller>-<hostname>`; truncated to 128 bytes. */
  reportingInstance: string;
  clock?: Clock;
  logger?: Logger;
  /** Pending writes kept before new events are dropped (1000). */
  bufferSize?: number;
  /** Tries per write on transport errors (12), `retryDelayMs` (10 s) apart with +0–25 % jitter. */
  maxTries?: number;
  retryDelayMs?: number;
  seriesFlushIntervalMs?: number;
  heartbeatIntervalMs?: number;
  finishAfterMs?: number;
  spamBurst?: number;
  spamRefillEveryMs?: number;
  /** Source of randomness for retry jitter and name suffixes (tests pin it). */
  random?: () => number;
}

export interface EventRecorderStats {
  /** Series (and singletons) currently remembered. */
  cached: number;
  /** Writes waiting in the buffer. */
  pending: number;
  /** Events dropped because the buffer was full. */
  droppedBufferFull: number;
  /** New series refused by the per-object spam bucket. */
  droppedSpam: number;
  /** Events dropped as invalid (unknown type, empty reason/action, no regarding name). */
  droppedInvalid: number;
}

const MAX_NAME = 253;

/** client-go's numbers, except the series flush (see the file comment). */
export const RECORDER_DEFAULTS = {
  bufferSize: 1000,
  maxTries: 12,
  retryDelayMs: 10_000,
  seriesFlushIntervalMs: 30_000,
  heartbeatIntervalMs: 30 * 60_000,
  finishAfterMs: 6 * 60_000,
  spamBurst: 25,
  spamRefillEveryMs: 300_000,
};
type Tunables = typeof RECORDER_DEFAULTS;
const SPAM_LRU_SIZE = 4096;

interface Series {
  readonly key: string;
  /** The event as first created: name, eventTime, note … never change afterwards (the note is part of the key). */
  readonly event: EventsV1Event;
  count: number;
  lastObservedMs: number;
  /** The API server has the object (POST succeeded or the name already existed). */
  persisted: boolean;
  /** The count the API server has seen. */
  sentCount: number;
  /** In the send buffer (each series is in it at most once; the sender writes its latest state). */
  pending: boolean;
  /** Being written right now. */
  inFlight: boolean;
  /** The last write ran out of tries; the tick leaves it alone until a new occurrence. */
  gaveUp: boolean;
  /** Idle too long: evict once the final write is done. */
  finishing: boolean;
}

function refKey(r: ObjectReference | undefined): string {
  if (!r) return "";
  return [r.apiVersion, r.kind, r.namespace, r.name, r.uid, r.fieldPath].map((v) => v ?? "").join("\u0000");
}

/** HTTP status and reason of an API error (any error object with a numeric HTTP `code`), else undefined. */
function apiStatus(err: unknown): { code: number; reason: string } | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown; reason?: unknown };
  const code = typeof e.code === "number" ? e.code : typeof e.statusCode === "number" ? e.statusCode : undefined;
  if (code === undefined || code < 100 || code > 599) return undefined;
  return { code, reason: typeof e.reason === "string" ? e.reason : "" };
}

/** Transport failures (no HTTP status), throttling and server errors are worth retrying; other API errors are not. */
function isRetryable(err: unknown): boolean {
  const s = apiStatus(err);
  return s === undefined || s.code === 429 || s.code >= 500;
}

export class EventRecorder {
  private readonly sink: EventSink;
  private readonly controller: string;
  private readonly instance: string;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly random: () => number;
  private readonly cfg: Tunables;

  private readonly cache = new Map<string, Series>();
  private readonly buffer: Series[] = [];
  private readonly spam = new Map<string, TokenBucket>();
  private sending: Promise<void> | undefined;
  private tickTimer: unknown;
  private lastHeartbeat: number;
  private lastNanos = 0n;
  private stopped = false;
  private readonly stopping = new AbortController();
  private readonly counters = { droppedBufferFull: 0, droppedSpam: 0, droppedInvalid: 0 };

  constructor(opts: EventRecorderOptions) {
    if (!opts.reportingController) throw new Error("EventRecorder: reportingController is required");
    if (!opts.reportingInstance) throw new Error("EventRecorder: reportingInstance is required");
    this.sink = opts.sink;
    this.controller = truncateUtf8(opts.reportingController, EVENT_LIMITS.reportingController);
    this.instance = truncateUtf8(opts.reportingInstance, EVENT_LIMITS.reportingInstance);
    this.clock = opts.clock ?? realClock;
    this.logger = opts.logger;
    this.random = opts.random ?? Math.random;
    this.cfg = { ...RECORDER_DEFAULTS };
    for (const k of Object.keys(RECORDER_DEFAULTS) as (keyof Tunables)[]) {
      const v = opts[k];
      if (v !== undefined) this.cfg[k] = v;
    }
    this.lastHeartbeat = this.clock.now();
  }

  publish(e: PublishedEvent): void {
    try {
      this.record(e);
    } catch (err) {
      // A recorder bug must never fail a reconcile.
      this.logger?.error({ error: err }, "event recorder failed to record an event");
    }
  }

  /** Sends every unsent count and waits until the buffer is empty. */
  async flush(): Promise<void> {
    for (const s of this.cache.values()) if (this.isDirty(s)) this.enqueue(s);
    while (this.sending) await this.sending;
  }

  /** Stops timers and retry sleeps, makes a last single-try attempt at every pending write, drops new events. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    if (this.tickTimer !== undefined) this.clock.clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    await this.flush();
  }

  stats(): EventRecorderStats {
    return { cached: this.cache.size, pending: this.buffer.length, ...this.counters };
  }

  private record(e: PublishedEvent): void {
    if (this.stopped) return;
    const invalid = this.validate(e);
    if (invalid) {
      this.counters.droppedInvalid++;
      this.logger?.warn({ reason: e.reason, regarding: e.regarding }, `event dropped: ${invalid}`);
      return;
    }
    const reason = truncateUtf8(e.reason, EVENT_LIMITS.reason);
    const action = truncateUtf8(e.action, EVENT_LIMITS.action);
    const note = truncateUtf8(e.note, EVENT_LIMITS.note, "…");
    const key = [e.type, action, reason, this.controller, this.instance, refKey(e.regarding), refKey(e.related), note].join("\u0001");
    const now = this.clock.now();
    const existing = this.cache.get(key);
    if (existing) {
      existing.count++;
      existing.lastObservedMs = now;
      existing.finishing = false;
      existing.gaveUp = false;
      // The 2nd occurrence turns the event into a series right away; later ones wait for the flush tick.
      if (existing.count === 2) this.enqueue(existing);
      return;
    }
    if (!this.allowedBySpamBucket(e.regarding, now)) {
      this.counters.droppedSpam++;
      this.logger?.debug({ reason, regarding: e.regarding }, "event dropped by the per-object spam filter");
      return;
    }
    if (this.buffer.length >= this.cfg.bufferSize) {
      this.counters.droppedBufferFull++;
      this.logger?.debug({ reason, regarding: e.regarding }, "event dropped: send buffer full");
      return;
    }
    const series: Series = {
      key,
      event: this.newEvent(e, reason, action, note, now),
      count: 1,
      lastObservedMs: now,
      persisted: false,
      sentCount: 0,
      pending: false,
      inFlight: false,
      gaveUp: false,
      finishing: false,
    };
    this.cache.set(key, series);
    this.enqueue(series);
    this.armTick();
  }

  private validate(e: PublishedEvent): string | undefined {
    if (e.type !== "Normal" && e.type !== "Warning") return `type must be Normal or Warning, got ${String(e.type)}`;
    if (!e.reason) return "reason is empty";
    if (!e.action) return "action is empty";
    if (!e.regarding?.name) return "regarding object has no name";
    return undefined;
  }

  private newEvent(e: PublishedEvent, reason: string, action: string, note: string, now: number): EventsV1Event {
    const regarding = { ...e.regarding };
    const event: EventsV1Event = {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: this.eventName(regarding.name!, now), namespace: regarding.namespace || "default" },
      eventTime: microTime(now),
      reportingController: this.controller,
      reportingInstance: this.instance,
      action,
      reason,
      regarding,
      note,
      type: e.type,
    };
    if (e.related) event.related = { ...e.related };
    return event;
  }

  /** `<regarding>.<hex unix nanos>`: strictly increasing per recorder, random below the millisecond. */
  private eventName(regardingName: string, now: number): string {
    let nanos = BigInt(now) * 1_000_000n + BigInt(Math.floor(this.random() * 1_000_000));
    if (nanos <= this.lastNanos) nanos = this.lastNanos + 1n;
    this.lastNanos = nanos;
    const suffix = nanos.toString(16);
    return `${regardingName.slice(0, MAX_NAME - suffix.length - 1)}.${suffix}`;
  }

  private allowedBySpamBucket(regarding: ObjectReference, now: number): boolean {
    const key = refKey(regarding);
    let bucket = this.spam.get(key);
    if (bucket) this.spam.delete(key); // re-inserted below: Map order doubles as LRU order
    else bucket = new TokenBucket(1000 / this.cfg.spamRefillEveryMs, this.cfg.spamBurst, now);
    this.spam.set(key, bucket);
    if (this.spam.size > SPAM_LRU_SIZE) this.spam.delete(this.spam.keys().next().value!);
    return bucket.tryTake(now);
  }

  private isDirty(s: Series): boolean {
    return !s.persisted || s.count > s.sentCount;
  }

  private enqueue(s: Series): void {
    if (s.pending) return;
    if (this.buffer.length >= this.cfg.bufferSize) return; // stays dirty; the next tick tries again
    s.pending = true;
    this.buffer.push(s);
    this.sending ??= this.drain();
  }

  private async drain(): Promise<void> {
    // Yield first so `sending` is assigned before the loop can possibly finish.
    await Promise.resolve();
    for (let s = this.buffer.shift(); s; s = this.buffer.shift()) {
      s.pending = false;
      s.inFlight = true;
      try {
        await this.send(s);
      } catch (err) {
        this.logger?.error({ error: err }, "event sender failed");
      }
      s.inFlight = false;
      if (s.finishing && !s.pending) this.cache.delete(s.key);
    }
    // Cleared in the same synchronous step that saw the buffer empty: no enqueue can slip in between.
    this.sending = undefined;
  }

  /** Writes the latest state of one series, retrying transport errors. */
  private async send(s: Series): Promise<void> {
    const namespace = s.event.metadata.namespace!;
    const name = s.event.metadata.name!;
    for (let attempt = 1; ; attempt++) {
      const count = s.count;
      const series = count >= 2 ? { count, lastObservedTime: microTime(s.lastObservedMs) } : undefined;
      const full = series ? { ...s.event, series } : s.event;
      try {
        if (!s.persisted) await this.sink.create(namespace, full);
        else if (series) await this.patchOrCreate(namespace, name, series, full);
        s.persisted = true;
        s.sentCount = Math.max(s.sentCount, count);
        return;
      } catch (err) {
        const status = apiStatus(err);
        if (!s.persisted && status?.reason === "AlreadyExists") {
          // An earlier POST went through but its answer was lost; from now on this series is PATCHed.
          s.persisted = true;
          s.sentCount = 1;
          continue;
        }
        const retry = isRetryable(err) && attempt < this.cfg.maxTries && !this.stopping.signal.aborted;
        if (!retry) {
          this.logger?.warn(
            { error: err, event: { namespace, name, reason: s.event.reason }, attempts: attempt },
            "could not write event; giving up on this write",
          );
          // An object the API refused to create would be refused again: forget it, a new occurrence starts over.
          if (!isRetryable(err) && !s.persisted) this.cache.delete(s.key);
          s.gaveUp = true;
          return;
        }
        const delay = this.cfg.retryDelayMs * (1 + 0.25 * this.random());
        await this.clock.sleep(delay, this.stopping.signal);
      }
    }
  }

  private async patchOrCreate(ns: string, name: string, series: EventSeries, full: EventsV1Event): Promise<void> {
    try {
      await this.sink.patch(ns, name, { series });
    } catch (err) {
      // Events expire (--event-ttl, 1 h by default) or get deleted; a series outliving its object re-creates it.
      if (apiStatus(err)?.code !== 404) throw err;
      await this.sink.create(ns, full);
    }
  }

  private armTick(): void {
    if (this.tickTimer !== undefined || this.stopped) return;
    this.tickTimer = this.clock.setTimeout(() => {
      this.tickTimer = undefined;
      this.tick();
      if (this.cache.size > 0) this.armTick();
    }, this.cfg.seriesFlushIntervalMs);
  }

  /** Periodic housekeeping: flush changed counts, heartbeat, finish idle series. */
  private tick(): void {
    const now = this.clock.now();
    const heartbeat = now - this.lastHeartbeat >= this.cfg.heartbeatIntervalMs;
    if (heartbeat) this.lastHeartbeat = now;
    for (const s of this.cache.values()) {
      if (s.pending || s.inFlight) continue;
      if (now - s.lastObservedMs > this.cfg.finishAfterMs) {
        if (this.isDirty(s) && !s.gaveUp) {
          s.finishing = true;
          this.enqueue(s);
        } else this.cache.delete(s.key);
      } else if (s.gaveUp) {
        continue;
      } else if (this.isDirty(s) || (heartbeat && s.count >= 2)) {
        this.enqueue(s);
      }
    }
  }
}
