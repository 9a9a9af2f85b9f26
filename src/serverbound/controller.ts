/**
 * Wiring of the controller of one bound kind on the runtime: the kind itself (spec, annotation and lifecycle
 * changes: its own status writes bring no pass), every change of a DittoServer for the objects that name it (an
 * index on `spec.serverRef.name`, namespace-scoped: its creation, deletion and `Authenticated` turning True wake
 * them), and the Secrets the kind reads.
 */
import type { DittoFsAccess } from "../dittoserver/api-pass.ts";
import { DITTOSERVERS } from "../dittoserver/kinds.ts";
import type { Controller } from "../runtime/controller.ts";
import { controller } from "../runtime/controller.ts";
import type { Manager } from "../runtime/manager.ts";
import { objectKey } from "../runtime/objects.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { annotationsChanged, or, specOrLifecycleChanged } from "../runtime/predicates.ts";
import { CORE } from "../runtime/resources.ts";
import { CacheWriter } from "../runtime/writer.ts";
import type { BoundObject, ServerboundKind, WokenBy } from "./kind.ts";
import { reconcileBound } from "./pass.ts";
import type { BoundDeps } from "./pass.ts";

const BY_SERVER = "byServer";
const BY_SECRET = "bySecret";

/** `namespace/name` of the DittoServer an object names (the index value of BY_SERVER). */
export function serverKeyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ""}/${(obj as BoundObject).spec.serverRef.name}`;
}

/** Index values of the objects of another kind an object names: `namespace/server/name`. */
export function namedKeys(w: WokenBy, obj: BoundObject): string[] {
  return w.names(obj).map((n) => `${serverKeyOf(obj)}/${n}`);
}

/** The index value an object of the other kind is found under. */
export function nameKey(w: WokenBy, other: BoundObject): string {
  return `${serverKeyOf(other)}/${w.nameOf(other)}`;
}

function notCreated(kind: ServerboundKind): never {
  throw new Error(`the ${kind.resource.kind} informer was not created with its controller`);
}

export function serverboundController(manager: Manager, kind: ServerboundKind, dittofs: DittoFsAccess): Controller {
  // The kind's informer exists once the controller is added (below); map functions run only after that.
  const dependents = (index: string, value: string): string[] => informer.byIndex(index, value).map(objectKey);
  const deps: BoundDeps = {
    kind,
    cache: { get: (res, key) => manager.cache.get(res, key), list: (res, namespace) => manager.cache.list(res, namespace) },
    writer: new CacheWriter(manager.client, manager.cache),
    recorder: manager.eventRecorder(kind.controllerName),
    dittofs,
    clock: { now: () => Date.now() },
    random: Math.random,
    memory: new Map(),
  };
  let builder = controller(kind.controllerName)
    .for(kind.resource, { predicate: or(specOrLifecycleChanged, annotationsChanged) })
    .watches(DITTOSERVERS, (s) => dependents(BY_SERVER, objectKey(s)));
  const secretNames = kind.secretNames;
  if (secretNames) builder = builder.watches(CORE.secrets, (s) => dependents(BY_SECRET, objectKey(s)));
  const woken = kind.wokenBy ?? [];
  woken.forEach((w, i) => {
    builder = builder.watches(w.resource, (o) => dependents(`byNamed${i}`, nameKey(w, o as BoundObject)));
  });
  const ctrl = manager.add(builder.reconcile((req, ctx) => reconcileBound(deps, req.key, ctx)));
  const informer = manager.cache.only(kind.resource) ?? notCreated(kind);
  informer.addIndex(BY_SERVER, (o) => [serverKeyOf(o)]);
  if (secretNames) informer.addIndex(BY_SECRET, (o) => secretNames(o as BoundObject).map((n) => `${o.metadata.namespace ?? ""}/${n}`));
  woken.forEach((w, i) => {
    informer.addIndex(`byNamed${i}`, (o) => namedKeys(w, o as BoundObject));
  });
  return ctrl;
}
