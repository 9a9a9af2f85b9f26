/**
 * Wiring of the DittoServer controller on the runtime: what it watches (derived from `CHILD_KINDS`, plus the
 * inputs: referenced Secrets, StorageClasses, Pods), the dependencies a pass gets, and the finalizer state machine
 * around the apply and cleanup passes.
 */
import { CONTROLLER_NAME, FIELD_MANAGER, FINALIZER } from "../api/constants.ts";
import type { DittoServer } from "../api/types.ts";
import type { Controller, ReconcileResult } from "../runtime/controller.ts";
import { controller } from "../runtime/controller.ts";
import { finalizer, finalizerAction } from "../runtime/finalizer.ts";
import type { Manager } from "../runtime/manager.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { specOrLifecycleChanged } from "../runtime/predicates.ts";
import { CORE } from "../runtime/resources.ts";
import type { ResourceType } from "../runtime/resources.ts";
import { CacheWriter } from "../runtime/writer.ts";
import { DittoFsAccess } from "./api-pass.ts";
import { CHILD_KINDS } from "./children.ts";
import { cleanupServer } from "./deletion.ts";
import { EVENT } from "./events.ts";
import { DITTOSERVERS, OPERATOR_DEFAULTS, STORAGE_CLASSES } from "./kinds.ts";
import type { OperatorOptions } from "./kinds.ts";
import { LABEL_INSTANCE, LABEL_MANAGED_BY, MANAGED_SELECTOR } from "./labels.ts";
import { podView } from "./observe.ts";
import { applyServer, publishEvents, randomEntropy } from "./reconciler.ts";
import type { ExternalClients, ReconcilerDeps } from "./reconciler.ts";
import { referencedSecretNames } from "./secretrefs.ts";

const BY_SECRET = "bySecret";
const BY_STORAGE_CLASS = "byStorageClass";

/** Keys of the DittoServer named by a child's labels (for kinds we do not control: Pods, orphaned Percona). */
function byInstanceLabel(obj: KubeObject): string[] {
  const instance = obj.metadata.labels?.[LABEL_INSTANCE];
  if (!instance || obj.metadata.labels?.[LABEL_MANAGED_BY] !== FIELD_MANAGER || !obj.metadata.namespace) return [];
  return [`${obj.metadata.namespace}/${instance}`];
}

/** The dependencies of a pass, narrowed from the manager. */
export function reconcilerDeps(manager: Manager, options: OperatorOptions, external: ExternalClients = {}): ReconcilerDeps {
  const cache = manager.cache;
  return {
    cache: { get: (res, key) => cache.get(res, key), list: (res, namespace) => cache.list(res, namespace), watched: (res) => cache.only(res) !== undefined },
    writer: new CacheWriter(manager.client, cache),
    recorder: manager.eventRecorder(CONTROLLER_NAME),
    clock: { now: () => Date.now() },
    options,
    entropy: randomEntropy,
    external,
    refusals: new Map(),
  };
}

function missing(what: string): never {
  throw new Error(what);
}

/** Register the DittoServer controller on `manager`; `dittofs` reaches the servers' APIs (a test may count its calls). */
export function dittoServerController(manager: Manager, options: OperatorOptions = OPERATOR_DEFAULTS, dittofs: DittoFsAccess = new DittoFsAccess()): Controller {
  // The DittoServer informer exists once the controller is added (below); map functions run only after that.
  const indexed = (index: string, value: string): string[] =>
    servers.byIndex(index, value).map((s) => `${s.metadata.namespace ?? ""}/${s.metadata.name ?? ""}`);
  const deps = reconcilerDeps(manager, options, { dittofs });

  let builder = controller(CONTROLLER_NAME)
    .for(DITTOSERVERS, { predicate: specOrLifecycleChanged })
    // Referenced Secrets (the user's and our generated ones): rotation rolls the pod, deletion is reported.
    .watches(CORE.secrets, (s) => indexed(BY_SECRET, `${s.metadata.namespace ?? ""}/${s.metadata.name ?? ""}`))
    // A StorageClass created later unblocks the DittoServers waiting for it, without a restart.
    .watches(STORAGE_CLASSES, (c) => indexed(BY_STORAGE_CLASS, c.metadata.name ?? ""))
    // Pods (only ours: the selector): readiness and failure reasons, and their termination during deletion.
    .watches(CORE.pods, byInstanceLabel, { selector: { labelSelector: MANAGED_SELECTOR }, transform: podView });
  const watched = new Set<ResourceType>();
  for (const kind of CHILD_KINDS) {
    // Kinds may share a resource (the NetworkPolicies): one source per resource, or each event would enqueue twice.
    if (watched.has(kind.resource)) continue;
    watched.add(kind.resource);
    const opts = kind.optionalCrd ? { optionalCrd: kind.optionalCrd } : {};
    builder = kind.linkedBy === "owner" ? builder.owns(kind.resource, opts) : builder.watches(kind.resource, byInstanceLabel, opts);
  }
  const spec = builder.reconcile(async (req, ctx): Promise<ReconcileResult | undefined> => {
    const server = deps.cache.get(DITTOSERVERS, req.key) as DittoServer | undefined;
    if (!server) {
      dittofs.forget(req.key);
      deps.refusals.delete(req.key);
      return undefined; // gone: garbage collection takes the owned children
    }
    const adding = finalizerAction(server, FINALIZER) === "add";
    const result = await finalizer(deps.writer, DITTOSERVERS, FINALIZER, server, {
      apply: (s) => applyServer(deps, ctx, s as DittoServer),
      cleanup: (s) => cleanupServer(deps, ctx, s as DittoServer),
    });
    if (adding) publishEvents(deps, server, [{ type: "Normal", reason: EVENT.FinalizerAdded, action: "AddFinalizer", message: "finalizer added; deletion will drain the file server first" }]);
    return result;
  });
  const ctrl = manager.add(spec);
  // A borrower's call was refused with 401: this server's pass logs in again now, not at its next poll.
  dittofs.onTokenRefused((key) => {
    ctrl.queue.add(key);
  });
  const servers = manager.cache.only(DITTOSERVERS) ?? missing("the DittoServer informer was not created with the controller");
  // Index values carry the namespace: a Secret only matters to DittoServers of its own namespace.
  servers.addIndex(BY_SECRET, (s) => referencedSecretNames(s as DittoServer).map((n) => `${s.metadata.namespace ?? ""}/${n}`));
  servers.addIndex(BY_STORAGE_CLASS, (s) => {
    const spec = (s as DittoServer).spec;
    return [spec.storage.storageClassName, spec.percona?.enabled ? spec.percona.storageClassName : undefined].filter((c): c is string => !!c);
  });
  // An optional CRD installed or removed changes the plan of every DittoServer (Percona clusters can now be
  // created; ServiceMonitors applied), but no object event says so: enqueue them all on each transition.
  for (const kind of CHILD_KINDS) {
    if (!kind.optionalCrd) continue;
    manager.optionalApis.track(kind.optionalCrd, kind.resource.version, () => {
      for (const s of servers.list()) ctrl.queue.add(`${s.metadata.namespace ?? ""}/${s.metadata.name ?? ""}`);
    });
  }
  return ctrl;
}
