/**
 * Wiring of the DittoServer controller on the runtime: what it watches (and how a watched object maps back to
 * DittoServers), the finalizer state machine around the apply and cleanup passes, and the manager that runs it.
 */
import { CONTROLLER_NAME, FIELD_MANAGER, FINALIZER } from "../api/constants.ts";
import type { DittoServer } from "../api/types.ts";
import type { Controller, ReconcileResult } from "../runtime/controller.ts";
import { controller } from "../runtime/controller.ts";
import { finalizer, finalizerAction } from "../runtime/finalizer.ts";
import { Manager } from "../runtime/manager.ts";
import type { ManagerOptions } from "../runtime/manager.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { specOrLifecycleChanged } from "../runtime/predicates.ts";
import { CORE } from "../runtime/resources.ts";
import { cleanupServer, forgetDeletion } from "./deletion.ts";
import { EVENT } from "./events.ts";
import { DITTOSERVERS, OPERATOR_DEFAULTS, PERCONA_CLUSTERS, PERCONA_CRD, SERVICE_MONITOR_CRD, SERVICE_MONITORS, STORAGE_CLASSES } from "./kinds.ts";
import type { OperatorOptions } from "./kinds.ts";
import { LABEL_INSTANCE, LABEL_MANAGED_BY } from "./labels.ts";
import { podView } from "./observe.ts";
import { applyServer, POD_SELECTOR, publishEvents } from "./reconciler.ts";
import type { ReconcilerDeps } from "./reconciler.ts";
import { referencedSecretNames } from "./secretrefs.ts";

const BY_SECRET = "bySecret";
const BY_STORAGE_CLASS = "byStorageClass";

/** Keys of the DittoServer named by a child's labels (for kinds we do not control: Pods, orphaned Percona). */
function byInstanceLabel(obj: KubeObject): string[] {
  const instance = obj.metadata.labels?.[LABEL_INSTANCE];
  if (!instance || obj.metadata.labels?.[LABEL_MANAGED_BY] !== FIELD_MANAGER || !obj.metadata.namespace) return [];
  return [`${obj.metadata.namespace}/${instance}`];
}

/** Register the DittoServer controller on `manager`. */
export function dittoServerController(manager: Manager, options: OperatorOptions = OPERATOR_DEFAULTS): Controller {
  const servers = manager.cache.informerFor(DITTOSERVERS);
  // Index values carry the namespace: a Secret only matters to DittoServers of its own namespace.
  servers.addIndex(BY_SECRET, (s) => referencedSecretNames(s as DittoServer).map((n) => `${s.metadata.namespace ?? ""}/${n}`));
  servers.addIndex(BY_STORAGE_CLASS, (s) => {
    const spec = (s as DittoServer).spec;
    return [spec.storage.storageClassName, spec.percona?.enabled ? spec.percona.storageClassName : undefined].filter((c): c is string => !!c);
  });
  const keysOf = (list: KubeObject[]): string[] => list.map((s) => `${s.metadata.namespace ?? ""}/${s.metadata.name ?? ""}`);
  const deps: ReconcilerDeps = { manager, recorder: manager.eventRecorder(CONTROLLER_NAME), options };

  const spec = controller(CONTROLLER_NAME)
    .for(DITTOSERVERS, { predicate: specOrLifecycleChanged })
    .owns(CORE.configMaps)
    .owns(CORE.services)
    .owns(CORE.statefulSets)
    // Referenced Secrets (the user's and our generated ones): rotation rolls the pod, deletion is reported.
    .watches(CORE.secrets, (s) => keysOf(servers.byIndex(BY_SECRET, `${s.metadata.namespace ?? ""}/${s.metadata.name ?? ""}`)))
    // A StorageClass created later unblocks the DittoServers waiting for it, without a restart.
    .watches(STORAGE_CLASSES, (c) => keysOf(servers.byIndex(BY_STORAGE_CLASS, c.metadata.name ?? "")))
    // Pods: readiness and failure reasons, and their termination during deletion.
    .watches(CORE.pods, byInstanceLabel, { selector: POD_SELECTOR, transform: podView })
    // Not `owns`: an orphaned (deleteWithServer: false) cluster carries no ownerReference, only our labels.
    .watches(PERCONA_CLUSTERS, byInstanceLabel, { optionalCrd: PERCONA_CRD })
    .owns(SERVICE_MONITORS, { optionalCrd: SERVICE_MONITOR_CRD })
    .reconcile(async (req): Promise<ReconcileResult | undefined> => {
      const server = manager.cache.get(DITTOSERVERS, req.key) as DittoServer | undefined;
      if (!server) return undefined; // gone: garbage collection takes the owned children
      const action = finalizerAction(server, FINALIZER);
      if (action === "cleanup") {
        const outcome = await cleanupServer(deps, server);
        if (!outcome.done) return { requeueAfter: outcome.requeueAfter };
      }
      const result = await finalizer(manager.client, DITTOSERVERS, FINALIZER, server, {
        apply: (s) => applyServer(deps, s as DittoServer),
        cleanup: () => Promise.resolve(undefined), // done above; the helper only removes the finalizer now
      }, servers);
      if (action === "cleanup") forgetDeletion(server.metadata.uid ?? "");
      if (action === "add") {
        publishEvents(deps.recorder, server, [{ type: "Normal", reason: EVENT.FinalizerAdded, action: "AddFinalizer", message: "finalizer added; deletion will drain the file server first" }]);
      }
      return result;
    });
  const ctrl = manager.add(spec);
  // An optional CRD installed or removed changes the plan of every DittoServer (Percona clusters can now be
  // created; ServiceMonitors applied), but no object event says so: enqueue them all on each transition.
  for (const [crd, version] of [[PERCONA_CRD, PERCONA_CLUSTERS.version], [SERVICE_MONITOR_CRD, SERVICE_MONITORS.version]] as const) {
    manager.optionalApis.track(crd, version, () => {
      for (const s of servers.list()) ctrl.queue.add(`${s.metadata.namespace ?? ""}/${s.metadata.name ?? ""}`);
    });
  }
  return ctrl;
}

/** A manager running the DittoServer controller (the controller is returned for tests that enqueue keys). */
export function createOperator(managerOptions: Omit<ManagerOptions, "fieldManager">, options: OperatorOptions = OPERATOR_DEFAULTS): { manager: Manager; controller: Controller } {
  const manager = new Manager({ ...managerOptions, fieldManager: FIELD_MANAGER });
  return { manager, controller: dittoServerController(manager, options) };
}
