/**
 * The list+watch state machine (kube-rs naming): Empty → InitPage → InitListed{rv} → Watching{rv}.
 *
 * - Paginated list (limit 500) emitting Init, InitApply…, InitDone; the store swaps atomically at InitDone.
 * - Watch with bookmarks and a random server timeout in [300, 600) s; the resourceVersion is taken from every frame.
 * - Clean end of stream → re-watch from the last resourceVersion at once.
 * - 410 Gone (HTTP or ERROR frame) → forget the resourceVersion and relist (consistent read), never re-watch it.
 * - Other failures → keep the resourceVersion and retry after backoff (0.8 s ×2, cap 30 s, jitter; 429 honours
 *   Retry-After).
 * - A client idle timer of timeoutSeconds + 5 s, reset on every byte, aborts half-open connections.
 * - The previous request is always aborted before a new one is opened.
 */
import { Backoff } from "./backoff.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { KubeClient, KubeList } from "./client.ts";
import { realClock } from "./clock.ts";
import type { Clock } from "./clock.ts";
import { apiErrorFromStatus, isGone, isTooManyRequests } from "./errors.ts";
import type { ApiError } from "./errors.ts";
import type { KubeObject } from "./objects.ts";
import type { ResourceType } from "./resources.ts";
import { LineDecoder, parseWatchFrame } from "./watch-stream.ts";

export type WatcherEvent =
  | { type: "Init" }
  | { type: "InitApply"; object: KubeObject }
  | { type: "InitDone" }
  | { type: "Apply"; object: KubeObject }
  | { type: "Delete"; object: KubeObject };

export type WatcherState =
  | { phase: "Empty" }
  | { phase: "InitPage"; continue: string }
  | { phase: "InitListed"; resourceVersion: string }
  | { phase: "Watching"; resourceVersion: string };

/** The two calls the state machine makes; `clientSource` binds them to the API, unit tests script them. */
export interface ListWatchSource {
  list(
    opts: { limit: number; continue?: string | undefined; resourceVersion?: string | undefined },
    signal: AbortSignal,
  ): Promise<KubeList>;
  watch(
    opts: { resourceVersion: string; timeoutSeconds: number; allowWatchBookmarks: boolean },
    signal: AbortSignal,
  ): Promise<AsyncIterable<Uint8Array | string>>;
}

export interface Selector {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}

export function clientSource(client: KubeClient, res: ResourceType, selector: Selector = {}): ListWatchSource {
  return {
    list: (opts, signal) => client.list(res, { ...selector, ...opts }, signal),
    watch: (opts, signal) => client.watch(res, { ...selector, ...opts }, signal),
  };
}

/** Why a watch was restarted, for logs and the watch-restarts metric. */
export type RestartReason = "expired" | "error" | "idle-timeout";

export interface WatcherOptions {
  source: ListWatchSource;
  onEvent(event: WatcherEvent): void;
  /** A failure the watcher recovers from by itself (relist or backoff); for logs and metrics. */
  onError?(err: unknown, reason: RestartReason, retryInMs: number): void;
  /** Applied to every object before it is emitted (e.g. strip managedFields). */
  transform?: (obj: KubeObject) => KubeObject;
  clock?: Clock;
  random?: () => number;
  pageSize?: number;
  /** Server-side watch timeout range in seconds, [min, max). */
  timeoutSecondsRange?: [number, number];
  /** Client idle timeout = timeoutSeconds × 1000 + this margin. */
  idleMarginMs?: number;
  /** "0" lets the first list be served from the apiserver's watch cache (client-go); "" forces a consistent read. */
  initialListResourceVersion?: "0" | "";
  backoff?: BackoffOptions;
}

class IdleTimeoutError extends Error {
  override readonly name = "IdleTimeoutError";
}

/** Drop server bookkeeping that controllers never read; it is often the biggest part of a cached object. */
export function stripManagedFields(obj: KubeObject): KubeObject {
  if (obj.metadata.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

export class Watcher {
  private readonly opts: WatcherOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly backoff: Backoff;
  private current: WatcherState = { phase: "Empty" };
  private inflight: AbortController | undefined;
  /** A relist after 410 must be a consistent read: the watch cache may be older than what we already saw. */
  private listedOnce = false;
  private goneStreak = 0;

  constructor(opts: WatcherOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.backoff = new Backoff(this.clock, { random: this.random, ...opts.backoff });
  }

  state(): WatcherState {
    return this.current;
  }

  /** Runs until `signal` aborts; never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    const onAbort = (): void => this.inflight?.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      while (!signal.aborted) {
        try {
          if (this.current.phase === "Empty" || this.current.phase === "InitPage") await this.listAll(signal);
          await this.watchOnce(signal);
          // Clean end of stream (server timeout): re-watch from the last resourceVersion immediately.
        } catch (err) {
          if (signal.aborted) break;
          await this.recover(err, signal);
        }
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.inflight?.abort();
      this.inflight = undefined;
    }
  }

  private async recover(err: unknown, signal: AbortSignal): Promise<void> {
    if (isGone(err)) {
      // The resourceVersion (or continue token) was compacted away: relist. Twice in a row means something is
      // wrong with the relist itself, so back off rather than spin.
      this.current = { phase: "Empty" };
      this.goneStreak++;
      const delay = this.goneStreak > 1 ? this.backoff.next() : 0;
      this.opts.onError?.(err, "expired", delay);
      if (delay > 0) await this.clock.sleep(delay, signal);
      return;
    }
    if (this.current.phase === "InitPage") this.current = { phase: "Empty" };
    const retryAfter = isTooManyRequests(err) ? (err as ApiError).retryAfterSeconds : undefined;
    const delay = retryAfter !== undefined ? retryAfter * 1000 : this.backoff.next();
    this.opts.onError?.(err, err instanceof IdleTimeoutError ? "idle-timeout" : "error", delay);
    await this.clock.sleep(delay, signal);
  }

  private async listAll(signal: AbortSignal): Promise<void> {
    const pageSize = this.opts.pageSize ?? 500;
    const firstRv = this.listedOnce ? "" : (this.opts.initialListResourceVersion ?? "0");
    this.opts.onEvent({ type: "Init" });
    let cont: string | undefined;
    for (;;) {
      const ctrl = this.newRequest(signal);
      // A continue token pins the snapshot; resourceVersion must not accompany it.
      const page = await this.opts.source.list(
        { limit: pageSize, continue: cont, resourceVersion: cont ? undefined : firstRv },
        ctrl.signal,
      );
      for (const item of page.items) this.opts.onEvent({ type: "InitApply", object: this.prepare(item, page) });
      cont = page.metadata.continue || undefined;
      if (cont) {
        this.current = { phase: "InitPage", continue: cont };
        continue;
      }
      const rv = page.metadata.resourceVersion;
      if (!rv) throw new Error("list response has no metadata.resourceVersion");
      this.listedOnce = true;
      this.current = { phase: "InitListed", resourceVersion: rv };
      this.opts.onEvent({ type: "InitDone" });
      return;
    }
  }

  private async watchOnce(signal: AbortSignal): Promise<void> {
    if (this.current.phase !== "InitListed" && this.current.phase !== "Watching") return;
    const [min, max] = this.opts.timeoutSecondsRange ?? [300, 600];
    const timeoutSeconds = Math.floor(min + this.random() * (max - min));
    const ctrl = this.newRequest(signal);
    const idleMs = timeoutSeconds * 1000 + (this.opts.idleMarginMs ?? 5000);
    let idleTimer: unknown;
    const armIdle = (): void => {
      this.clock.clearTimeout(idleTimer);
      idleTimer = this.clock.setTimeout(() => {
        ctrl.abort(new IdleTimeoutError(`watch idle for ${idleMs} ms`));
      }, idleMs);
    };
    armIdle();
    const decoder = new LineDecoder();
    try {
      const stream = await this.opts.source.watch(
        { resourceVersion: this.current.resourceVersion, timeoutSeconds, allowWatchBookmarks: true },
        ctrl.signal,
      );
      this.current = { phase: "Watching", resourceVersion: this.current.resourceVersion };
      for await (const chunk of stream) {
        armIdle();
        for (const line of decoder.push(chunk)) this.handleLine(line);
        if (ctrl.signal.aborted) break;
      }
      for (const line of decoder.end()) this.handleLine(line);
      if (ctrl.signal.aborted && !signal.aborted) throw ctrl.signal.reason;
    } catch (err) {
      // Report the idle timer's own error even if a source fails an aborted stream with a generic AbortError (our
      // transport throws the abort's reason, other sources and the unit tests' fake may not).
      throw ctrl.signal.reason instanceof IdleTimeoutError ? ctrl.signal.reason : err;
    } finally {
      this.clock.clearTimeout(idleTimer);
      ctrl.abort();
    }
  }

  private handleLine(line: string): void {
    const frame = parseWatchFrame(line);
    if (frame.type === "ERROR") throw apiErrorFromStatus(frame.object);
    const rv = frame.object.metadata.resourceVersion;
    if (rv) this.current = { phase: "Watching", resourceVersion: rv };
    this.goneStreak = 0;
    if (frame.type === "BOOKMARK") return;
    const object = this.prepare(frame.object);
    this.opts.onEvent(frame.type === "DELETED" ? { type: "Delete", object } : { type: "Apply", object });
  }

  /** List items carry no apiVersion/kind; fill them from the list so cached objects are complete. */
  private prepare(obj: KubeObject, list?: KubeList): KubeObject {
    let o = obj;
    if (list && (!o.apiVersion || !o.kind) && list.apiVersion && list.kind) {
      o = { ...o, apiVersion: o.apiVersion || list.apiVersion, kind: o.kind || list.kind.replace(/List$/, "") };
    }
    return this.opts.transform ? this.opts.transform(o) : o;
  }

  /** Abort whatever request is still open before starting the next one. */
  private newRequest(signal: AbortSignal): AbortController {
    this.inflight?.abort();
    const ctrl = new AbortController();
    if (signal.aborted) ctrl.abort();
    this.inflight = ctrl;
    return ctrl;
  }
}
