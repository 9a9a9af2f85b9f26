/**
 * What a kind of resource bound to a DittoServer declares, once, for the generic controller (controller.ts):
 * its resource type, finalizer, the Secrets it reads, and the steps that talk to the server through the session
 * borrowed from the DittoServer controller. Decisions (desired state, diff) are the kind's pure functions; the
 * framework resolves the server, classifies failures, writes conditions and status, and schedules passes.
 */
import type { DittoServer } from "../api/types.ts";
import type { DittoFsClient } from "../dittofs/client.ts";
import type { Condition, KubeObject } from "../runtime/objects.ts";
import type { ResourceType } from "../runtime/resources.ts";

/** The status every bound kind has; a kind adds its own fields next to these. */
export interface BoundStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  [field: string]: unknown;
}

export interface BoundObject extends KubeObject {
  spec: { serverRef: { name: string } };
  status?: BoundStatus;
}

/** A condition's value as a step decides it. */
export interface Verdict {
  status: "True" | "False";
  reason: string;
  message: string;
}

/** An event a step wants published (the framework adds the object it regards). */
export interface BoundEvent {
  type: "Normal" | "Warning";
  reason: string;
  action: string;
  message: string;
}

/** What a step gets: the object, its server and the borrowed session. */
export interface SyncContext {
  object: BoundObject;
  server: DittoServer;
  api: DittoFsClient;
  token: string;
  /** `podIP:port` of the server's API, for messages. */
  where: string;
  /** A Secret of the object's namespace, from the cache. */
  secret: (name: string) => KubeObject | undefined;
  /** The objects of another watched kind in the object's namespace, from the cache (e.g. the DittoShares of a DittoUser). */
  peers: (res: ResourceType) => KubeObject[];
  /**
   * Writes these status fields at once (the final write keeps them): e.g. the intent to create something,
   * recorded before the call so a crash between the call and the final write does not orphan it.
   */
  record: (fields: Record<string, unknown>) => Promise<void>;
  /** Creates a Secret the object generates (e.g. a password); a 409 (made meanwhile) answers the existing one. */
  createSecret: (secret: KubeObject) => Promise<KubeObject>;
  now: number;
  signal: AbortSignal;
}

/**
 * What the step did: the kind's status fields (all of them: they replace the previous ones) and the conditions it
 * decided, or the DittoFS failure that stopped it (its `fields` then say what was done before; the framework
 * classifies the failure).
 */
export type SyncResult = { fields: Record<string, unknown>; events?: BoundEvent[] } & (
  | {
      synced: Verdict;
      /** Defaults to `synced`. */
      ready?: Verdict;
    }
  | { error: unknown }
);

export type CleanupStepResult = { done: true; events?: BoundEvent[] } | { done: false; error: unknown };

/**
 * Objects of another bound kind that this kind's objects name (a DittoUser's groups, its shares): a change of one
 * (its creation, its status turning Ready) brings a pass of the objects naming it on the same server at once,
 * rather than at their next poll.
 */
export interface WokenBy {
  resource: ResourceType;
  /** The names the object refers to, in the other kind's terms. */
  names: (obj: BoundObject) => string[];
  /** The name an object of the other kind is referred to by. */
  nameOf: (other: BoundObject) => string;
}

export interface ServerboundKind {
  resource: ResourceType;
  /** Controller (and event reporting) name: a DNS label. */
  controllerName: string;
  /** Set when deleting the resource may have to call the server (`cleanup`). */
  finalizer?: { name: string; cleanup: (ctx: SyncContext) => Promise<CleanupStepResult>; needsServer: (obj: BoundObject) => boolean };
  /** Names of the Secrets (in its namespace) the object reads: their changes bring a pass. */
  secretNames?: (obj: BoundObject) => string[];
  wokenBy?: readonly WokenBy[];
  sync: (ctx: SyncContext) => Promise<SyncResult>;
}
