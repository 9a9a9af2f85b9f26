/**
 * One pass of the bound-resource controller over one object: resolve its DittoServer and borrow its session,
 * run the kind's step, classify what failed, write the status when it changed, publish the events of transitions,
 * and say when to come back. Deletion goes through the kind's finalizer, never stuck on a server that is gone.
 *
 * Scheduling: a missing or deleting server is waited for without a requeue (its creation or removal is an event
 * of the DittoServer informer, which enqueues its dependents); a server without a session is also woken by its
 * status change, plus one safety requeue at its poll interval; in sync, the next pass is one poll interval away
 * (drift on the server is reverted then). Failures back off per object, in memory.
 */
import type { DittoServer } from "../api/types.ts";
import { afterTerminal, afterTransient, DEFAULT_BACKOFF, mayCall, waitMs } from "../dittofs/backoff.ts";
import type { ApiBackoff } from "../dittofs/backoff.ts";
import { pollIntervalMs } from "../dittoserver/api-pass.ts";
import type { DittoFsAccess } from "../dittoserver/api-pass.ts";
import { DITTOSERVERS } from "../dittoserver/kinds.ts";
import type { ReconcileContext, ReconcileResult } from "../runtime/controller.ts";
import { isAlreadyExists, isNotFound } from "../runtime/errors.ts";
import type { EventRecorder } from "../runtime/events.ts";
import { finalizer } from "../runtime/finalizer.ts";
import type { CleanupResult } from "../runtime/finalizer.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { apiVersionOf, CORE } from "../runtime/resources.ts";
import type { ResourceType } from "../runtime/resources.ts";
import type { Writer } from "../runtime/writer.ts";
import type { BoundEvent, BoundObject, BoundStatus, ServerboundKind, SyncContext, Verdict } from "./kind.ts";
import { BOUND_EVENT, BOUND_REASON } from "./reasons.ts";
import { boundStatusEqual, classifyFailure, failureVerdict, nextBoundStatus, resolveServer, transitionEvents, unresolvedVerdict } from "./status.ts";
import type { Resolution } from "./status.ts";

/** Never requeue sooner than this: a due time in the past must not spin the queue. */
const MIN_REQUEUE_MS = 1_000;

export interface BoundDeps {
  kind: ServerboundKind;
  cache: { get(res: ResourceType, key: string): KubeObject | undefined; list(res: ResourceType, namespace: string): KubeObject[] };
  writer: Pick<Writer, "applyStatus" | "jsonPatch" | "create">;
  recorder: Pick<EventRecorder, "publish">;
  dittofs: Pick<DittoFsAccess, "borrow" | "tokenRefused">;
  clock: { now(): number };
  random: () => number;
  /** Per object (`namespace/name`): its UID and the back-off of its failed calls. */
  memory: Map<string, { uid: string; backoff?: ApiBackoff | undefined }>;
}

export async function reconcileBound(deps: BoundDeps, key: string, ctx: ReconcileContext): Promise<ReconcileResult | undefined> {
  const object = deps.cache.get(deps.kind.resource, key) as BoundObject | undefined;
  if (!object) {
    deps.memory.delete(key);
    return undefined;
  }
  const fin = deps.kind.finalizer;
  if (!fin) return applyPass(deps, key, object, ctx);
  return finalizer(deps.writer, deps.kind.resource, fin.name, object, {
    apply: (o) => applyPass(deps, key, o as BoundObject, ctx),
    cleanup: (o) => cleanupPass(deps, key, o as BoundObject, ctx),
  });
}

function resolve(deps: BoundDeps, object: BoundObject, now: number): Resolution {
  const name = object.spec.serverRef.name;
  const serverKey = `${object.metadata.namespace ?? ""}/${name}`;
  const server = deps.cache.get(DITTOSERVERS, serverKey) as DittoServer | undefined;
  return resolveServer(name, server, (s) => deps.dittofs.borrow(serverKey, s.metadata.uid ?? "", now));
}

function memoryOf(deps: BoundDeps, key: string, object: BoundObject): { uid: string; backoff?: ApiBackoff | undefined } {
  const uid = object.metadata.uid ?? "";
  const known = deps.memory.get(key);
  if (known?.uid === uid) return known;
  const fresh = { uid };
  deps.memory.set(key, fresh);
  return fresh;
}

/** What a refused call is retried on besides time: the spec, the annotations (adoption) and the server. */
function inputsFingerprint(object: BoundObject, server: DittoServer): string {
  return JSON.stringify([object.metadata.generation, object.metadata.annotations ?? {}, server.metadata.uid]);
}

function requeueMs(ms: number): number {
  return Math.max(MIN_REQUEUE_MS, ms);
}

async function applyPass(deps: BoundDeps, key: string, object: BoundObject, ctx: ReconcileContext): Promise<ReconcileResult | undefined> {
  const now = deps.clock.now();
  const resolution = resolve(deps, object, now);
  if (resolution.kind !== "ready") {
    const verdict = unresolvedVerdict(resolution, object.metadata.namespace ?? "");
    await settle(deps, object, nextBoundStatus(object, undefined, verdict, verdict, now), []);
    return resolution.kind === "noSession" ? { requeueAfter: pollIntervalMs(resolution.server) } : undefined;
  }
  const { server, session } = resolution;
  const memory = memoryOf(deps, key, object);
  const fingerprint = inputsFingerprint(object, server);
  if (!mayCall(memory.backoff, now, fingerprint)) return { requeueAfter: requeueMs(waitMs(memory.backoff, now)) };

  const step = stepContext(deps, object, server, session, now, ctx.signal);
  const result = await deps.kind.sync(step.context);
  const current = step.current();
  if (!("error" in result)) {
    memory.backoff = undefined;
    await settle(deps, current, nextBoundStatus(current, result.fields, result.synced, result.ready ?? result.synced, now), result.events ?? []);
    return { requeueAfter: pollIntervalMs(server) };
  }
  const verdict = failed(deps, result.error, resolution, memory, fingerprint, now, ctx);
  await settle(deps, current, nextBoundStatus(current, result.fields, verdict, verdict, now), result.events ?? []);
  return { requeueAfter: requeueMs(waitMs(memory.backoff, now)) };
}

/** Classifies a failed call and sets the object's back-off; rethrows what is not a DittoFS failure. */
function failed(deps: BoundDeps, error: unknown, r: Extract<Resolution, { kind: "ready" }>, memory: { backoff?: ApiBackoff | undefined }, fingerprint: string, now: number, ctx: ReconcileContext): Verdict {
  ctx.signal.throwIfAborted();
  const failure = classifyFailure(error);
  if (!failure) throw error;
  const serverName = r.server.metadata.name ?? "";
  if (failure.kind === "rejected") {
    memory.backoff = afterTerminal(memory.backoff, now, fingerprint);
    return failureVerdict(failure, r.session.where);
  }
  memory.backoff = afterTransient(memory.backoff, now, DEFAULT_BACKOFF, deps.random);
  if (failure.kind === "transient") return failureVerdict(failure, r.session.where);
  // The server's token was refused: its controller logs in again at once, and this object's retry borrows the new one.
  deps.dittofs.tokenRefused(`${r.server.metadata.namespace ?? ""}/${serverName}`);
  return { status: "False", reason: BOUND_REASON.ServerNotReady, message: `the DittoFS API at ${r.session.where} refused the session of DittoServer ${serverName}; it logs in again` };
}

/** The step's context; `record` writes status fields at once, and `current()` is the object as last written. */
function stepContext(deps: BoundDeps, object: BoundObject, server: DittoServer, session: Extract<Resolution, { kind: "ready" }>["session"], now: number, signal: AbortSignal): { context: SyncContext; current: () => BoundObject } {
  let current = object;
  const namespace = object.metadata.namespace ?? "";
  const context: SyncContext = {
    object,
    server,
    api: session.api,
    token: session.token,
    where: session.where,
    secret: (name) => deps.cache.get(CORE.secrets, `${namespace}/${name}`),
    peers: (res) => deps.cache.list(res, namespace),
    record: async (fields) => {
      const status: BoundStatus = { ...current.status, ...fields };
      await writeStatus(deps, current, status);
      current = { ...current, status };
    },
    createSecret: async (secret) => {
      try {
        return await deps.writer.create(CORE.secrets, secret);
      } catch (err) {
        // Made meanwhile (another pass, or by hand): the cache has it by now or the next pass will.
        const existing = isAlreadyExists(err) ? deps.cache.get(CORE.secrets, `${namespace}/${secret.metadata.name ?? ""}`) : undefined;
        if (!existing) throw err;
        return existing;
      }
    },
    now,
    signal,
  };
  return { context, current: () => current };
}

async function writeStatus(deps: BoundDeps, object: BoundObject, status: BoundStatus): Promise<boolean> {
  if (boundStatusEqual(object.status, status)) return false;
  const res = deps.kind.resource;
  const body = { apiVersion: apiVersionOf(res), kind: res.kind, metadata: { name: object.metadata.name, namespace: object.metadata.namespace }, status } as KubeObject;
  try {
    await deps.writer.applyStatus(res, body);
  } catch (err) {
    // Deleted meanwhile: nothing left to report on.
    if (!isNotFound(err)) throw err;
    return false;
  }
  return true;
}

/** Writes the status when it changed, then publishes the step's events and those of the transitions. */
async function settle(deps: BoundDeps, object: BoundObject, next: BoundStatus, events: readonly BoundEvent[]): Promise<void> {
  const written = await writeStatus(deps, object, next);
  publish(deps, object, [...events, ...(written ? transitionEvents(object.status?.conditions, next.conditions) : [])]);
}

function publish(deps: BoundDeps, object: BoundObject, events: readonly BoundEvent[]): void {
  const res = deps.kind.resource;
  const regarding = { apiVersion: apiVersionOf(res), kind: res.kind, namespace: object.metadata.namespace, name: object.metadata.name, uid: object.metadata.uid };
  for (const e of events) deps.recorder.publish({ regarding, type: e.type, reason: e.reason, action: e.action, note: e.message });
}

/**
 * Deletion: the kind's cleanup, when it needs the server at all. A server that is gone or being deleted takes
 * whatever was on it along: the finalizer goes without a call (an event says so). A server without a session is
 * waited for.
 */
async function cleanupPass(deps: BoundDeps, key: string, object: BoundObject, ctx: ReconcileContext): Promise<CleanupResult> {
  const fin = deps.kind.finalizer;
  if (!fin?.needsServer(object)) return { done: true };
  const now = deps.clock.now();
  const resolution = resolve(deps, object, now);
  if (resolution.kind === "missing" || resolution.kind === "deleting") {
    const why = resolution.kind === "missing" ? "is gone" : "is being deleted";
    publish(deps, object, [{ type: "Normal", reason: BOUND_EVENT.CleanupSkipped, action: "RemoveFinalizer", message: `DittoServer ${resolution.name} ${why}: finalizer removed without calling its API` }]);
    return { done: true };
  }
  if (resolution.kind === "noSession") {
    const verdict = unresolvedVerdict(resolution, object.metadata.namespace ?? "");
    await settle(deps, object, nextBoundStatus(object, undefined, verdict, verdict, now), []);
    return { done: false, requeueAfter: pollIntervalMs(resolution.server) };
  }
  const memory = memoryOf(deps, key, object);
  const fingerprint = inputsFingerprint(object, resolution.server);
  if (!mayCall(memory.backoff, now, fingerprint)) return { done: false, requeueAfter: requeueMs(waitMs(memory.backoff, now)) };
  const step = stepContext(deps, object, resolution.server, resolution.session, now, ctx.signal);
  const result = await fin.cleanup(step.context);
  if (result.done) {
    publish(deps, object, result.events ?? []);
    return { done: true };
  }
  const verdict = failed(deps, result.error, resolution, memory, fingerprint, now, ctx);
  const current = step.current();
  await settle(deps, current, nextBoundStatus(current, undefined, verdict, verdict, now), []);
  return { done: false, requeueAfter: requeueMs(waitMs(memory.backoff, now)) };
}
