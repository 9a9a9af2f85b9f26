/**
 * The imperative shell of one DittoServer pass: read what the cache holds, let `planPass` decide every write,
 * perform only the writes whose object differs from what is there, write the status once at the end (errors
 * included) when it changed, and publish the events of transitions. The decisions live in the pure core
 * (plan.ts, status.ts, events.ts); this file only does I/O.
 */
import { randomBytes } from "node:crypto";
import type { DittoServer } from "../api/types.ts";
import type { KubeClient } from "../runtime/client.ts";
import { errorMessage, isAlreadyExists, isNotFound } from "../runtime/errors.ts";
import type { EventRecorder } from "../runtime/events.ts";
import type { Informer } from "../runtime/informer.ts";
import type { Manager } from "../runtime/manager.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { CORE } from "../runtime/resources.ts";
import type { ResourceType } from "../runtime/resources.ts";
import { firstDifference, needsApply, withAppliedHash } from "./drift.ts";
import type { EventSpec, PassFacts } from "./events.ts";
import { transitionEvents } from "./events.ts";
import { DITTOSERVERS, PERCONA_CLUSTERS, PERCONA_CRD, PVCS, resourceOf, SERVICE_MONITOR_CRD, SERVICE_MONITORS, STORAGE_CLASSES } from "./kinds.ts";
import type { OperatorOptions } from "./kinds.ts";
import { MANAGED_SELECTOR } from "./labels.ts";
import { childNames, GENERATED_KEYS, podName } from "./names.ts";
import { ENTROPY_BYTES, planPass } from "./plan.ts";
import type { Observed, PassPlan } from "./plan.ts";
import { referencedSecretNames } from "./secretrefs.ts";
import { pvcExpansionPatch } from "./statefulset.ts";
import { computeStatus, statusEqual } from "./status.ts";
import type { PerconaObservation, StatusInput } from "./status.ts";

export interface ReconcilerDeps {
  manager: Manager;
  recorder: EventRecorder;
  options: OperatorOptions;
}

/** Selector of the pod informer: only our file-server pods are cached. */
export const POD_SELECTOR = { labelSelector: MANAGED_SELECTOR };

const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The Percona cluster as the cache sees it; never starts an informer for a CRD that is not installed. */
export function observePercona(manager: Manager, namespace: string, name: string): PerconaObservation {
  if (!manager.optionalApis.isAvailable(PERCONA_CRD, PERCONA_CLUSTERS.version)) return { kind: "crdMissing" };
  const cluster = manager.cache.peek(PERCONA_CLUSTERS)?.get(key(namespace, childNames(name).perconaCluster));
  return cluster ? { kind: "present", cluster } : { kind: "absent" };
}

/** Everything `planPass` needs, from the cache only (no API reads). */
function observe(manager: Manager, server: DittoServer): Observed {
  const namespace = server.metadata.namespace ?? "";
  const name = server.metadata.name ?? "";
  const names = childNames(name);
  const secrets = new Map<string, KubeObject | undefined>();
  for (const secret of referencedSecretNames(server)) secrets.set(secret, manager.cache.get(CORE.secrets, key(namespace, secret)));
  const classes = manager.cache.list(STORAGE_CLASSES);
  const classNames = new Set(classes.map((c) => c.metadata.name));
  const wanted = [server.spec.storage.storageClassName, server.spec.percona?.enabled ? server.spec.percona.storageClassName : undefined];
  const expandable = new Set<string>();
  for (const c of classes) {
    if (c.allowVolumeExpansion !== true) continue;
    expandable.add(c.metadata.name ?? "");
    if (c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true") expandable.add("");
  }
  return {
    secrets,
    configMap: manager.cache.get(CORE.configMaps, key(namespace, names.configMap)),
    statefulSet: manager.cache.get(CORE.statefulSets, key(namespace, names.statefulSet)),
    ...(server.spec.percona?.enabled ? { percona: observePercona(manager, namespace, name) } : {}),
    missingStorageClasses: [...new Set(wanted.filter((c): c is string => !!c && !classNames.has(c)))],
    serviceMonitorCrdInstalled: manager.optionalApis.isAvailable(SERVICE_MONITOR_CRD, SERVICE_MONITORS.version),
    expandableClasses: expandable,
  };
}

/** The informer of a child kind: optional kinds only once their CRD is served (peek never starts one). */
function cacheOf(manager: Manager, res: ResourceType): Informer | undefined {
  const optional = res === PERCONA_CLUSTERS || res === SERVICE_MONITORS;
  return optional ? manager.cache.peek(res) : manager.cache.informerFor(res);
}

/** A child as last seen: our unseen write of it, else the cached copy. */
function cached(manager: Manager, res: ResourceType, namespace: string, name: string): KubeObject | undefined {
  return cacheOf(manager, res)?.latest(key(namespace, name));
}

interface PassOutcome {
  facts: PassFacts;
  errors: { step: string; message: string }[];
  firstError?: unknown;
  statefulSet?: KubeObject;
  expandingVolumes: string[];
}

/** Perform the plan's writes in order; stop at the first failure (later steps depend on earlier ones). */
async function performWrites(client: KubeClient, manager: Manager, server: DittoServer, plan: PassPlan): Promise<PassOutcome> {
  const namespace = server.metadata.namespace ?? "";
  const name = server.metadata.name ?? "";
  const out: PassOutcome = { facts: { configChanged: plan.configChanged }, errors: [], expandingVolumes: [] };
  const created: string[] = [];
  const deleted: string[] = [];
  const expanded: string[] = [];
  out.statefulSet = manager.cache.get(CORE.statefulSets, key(namespace, childNames(name).statefulSet));

  const step = async (what: string, fn: () => Promise<void>): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (err) {
      out.errors.push({ step: what, message: errorMessage(err) });
      out.firstError ??= err;
      return false;
    }
  };
  const applyChild = async (desired: KubeObject): Promise<KubeObject | undefined> => {
    const res = resourceOf(desired.apiVersion, desired.kind);
    const childName = desired.metadata.name ?? "";
    const informer = cacheOf(manager, res);
    const childKey = key(namespace, childName);
    const seen = informer?.latest(childKey);
    const stamped = withAppliedHash(desired);
    if (!needsApply(stamped, seen)) return seen;
    if (seen) manager.logger.debug({ child: `${desired.kind}/${childName}`, difference: firstDifference(seen, stamped) }, "applying a changed child");
    const send = (): Promise<KubeObject> => client.apply(res, stamped);
    const applied = informer ? await informer.writeThrough(childKey, send) : await send();
    if (!seen) created.push(`${desired.kind}/${childName}`);
    return applied;
  };

  let ok = true;
  for (const action of plan.generatedSecrets) {
    if (!ok) break;
    if (action.action === "create") {
      const secretName = action.object.metadata.name ?? "";
      ok = await step(`create Secret ${secretName}`, async () => {
        try {
          await manager.cache.informerFor(CORE.secrets).writeThrough(key(namespace, secretName), () => client.create(CORE.secrets, action.object));
          created.push(`Secret/${secretName}`);
        } catch (err) {
          if (!isAlreadyExists(err)) throw err; // another writer won the race: its value stays
        }
      });
    } else if (action.action === "addKeys") {
      // Only the JWT Secret has a `jwt-secret` key; the admin Secret has the others.
      const names = childNames(name);
      const secretName = action.keys.includes(GENERATED_KEYS.jwtSecret) ? names.jwtSecret : names.adminSecret;
      ok = await step(`add keys ${action.keys.join(",")} to Secret ${secretName}`, async () => {
        await manager.cache.informerFor(CORE.secrets).writeThrough(key(namespace, secretName), () => client.mergePatch(CORE.secrets, { namespace, name: secretName }, action.patch));
      });
    }
  }
  const children = [plan.configMap, ...plan.services, ...(plan.serviceMonitor ? [plan.serviceMonitor] : []), ...(plan.percona ? [plan.percona] : [])];
  for (const child of children) {
    if (!ok) break;
    ok = await step(`apply ${child.kind} ${child.metadata.name ?? ""}`, async () => { await applyChild(child); });
  }
  for (const { pvc, expansion } of plan.pvcExpansions) {
    if (!ok) break;
    ok = await step(`expand PersistentVolumeClaim ${pvc}`, async () => {
      const current = await client.getOrUndefined(PVCS, { namespace, name: pvc });
      if (!current) return; // the StatefulSet controller creates it from the template
      const spec = current.spec as { resources?: { requests?: { storage?: string } } } | undefined;
      const status = current.status as { capacity?: { storage?: string } } | undefined;
      if (spec?.resources?.requests?.storage !== expansion.to) {
        await client.mergePatch(PVCS, { namespace, name: pvc }, pvcExpansionPatch(expansion.to));
        expanded.push(pvc);
      }
      if (status?.capacity?.storage !== expansion.to) out.expandingVolumes.push(pvc);
    });
  }
  if (ok && plan.statefulSet) {
    const desired = plan.statefulSet;
    ok = await step(`apply StatefulSet ${desired.metadata.name ?? ""}`, async () => { out.statefulSet = await applyChild(desired); });
  }
  for (const gone of plan.obsolete) {
    if (!ok) break;
    const res = resourceOf(gone.apiVersion, gone.kind);
    const seen = cached(manager, res, namespace, gone.name);
    if (!seen || !seen.metadata.ownerReferences?.some((r) => r.uid === server.metadata.uid)) continue;
    ok = await step(`delete ${gone.kind} ${gone.name}`, async () => {
      try {
        const send = (): Promise<unknown> => client.delete(res, { namespace, name: gone.name });
        const informer = cacheOf(manager, res);
        await (informer ? informer.deleteThrough(key(namespace, gone.name), send) : send());
        deleted.push(`${gone.kind}/${gone.name}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    });
  }
  if (created.length) out.facts.created = created;
  if (deleted.length) out.facts.deleted = deleted;
  if (expanded.length) out.facts.expandedVolumes = expanded;
  return out;
}

export function publishEvents(recorder: EventRecorder, server: DittoServer, events: EventSpec[]): void {
  const regarding = { apiVersion: server.apiVersion, kind: server.kind, namespace: server.metadata.namespace, name: server.metadata.name, uid: server.metadata.uid };
  for (const e of events) recorder.publish({ regarding, type: e.type, reason: e.reason, action: e.action, note: e.message });
}

/** Write the status through the status subresource when it differs from what the object carries. */
export async function writeStatus(manager: Manager, server: DittoServer, next: NonNullable<DittoServer["status"]>): Promise<void> {
  if (statusEqual(server.status, next)) return;
  const serverKey = key(server.metadata.namespace ?? "", server.metadata.name ?? "");
  try {
    await manager.cache.informerFor(DITTOSERVERS).writeThrough(serverKey, () => manager.client.applyStatus(DITTOSERVERS, {
      apiVersion: server.apiVersion,
      kind: server.kind,
      metadata: { name: server.metadata.name, namespace: server.metadata.namespace },
      status: next,
    } as KubeObject));
  } catch (err) {
    if (!isNotFound(err)) throw err; // gone meanwhile: its next event says so
  }
}

/** One apply pass of a live DittoServer that carries our finalizer. */
export async function applyServer(deps: ReconcilerDeps, server: DittoServer): Promise<{ requeueAfter: number }> {
  const { manager, recorder, options } = deps;
  const client = manager.client;
  const namespace = server.metadata.namespace ?? "";
  const name = server.metadata.name ?? "";
  const observed = observe(manager, server);
  const plan = planPass(server, observed, { jwt: randomBytes(ENTROPY_BYTES.jwt), admin: randomBytes(ENTROPY_BYTES.admin) });
  const outcome = await performWrites(client, manager, server, plan);

  const input: StatusInput = {
    server,
    now: Date.now(),
    statefulSet: outcome.statefulSet,
    pod: manager.cache.informerFor(CORE.pods, POD_SELECTOR).get(key(namespace, podName(name))),
    percona: observed.percona,
    fileService: manager.cache.get(CORE.services, key(namespace, childNames(name).fileService)),
    clusterDomain: options.clusterDomain,
    unschedulableGraceMs: options.unschedulableGraceMs,
    volumeBindingGraceMs: options.volumeBindingGraceMs,
    specProblems: plan.specProblems,
    missingSecrets: plan.missingSecrets,
    missingStorageClasses: observed.missingStorageClasses,
    forbiddenStorageChanges: plan.forbiddenStorageChanges,
    immutableChanges: plan.immutableChanges,
    expandingVolumes: outcome.expandingVolumes,
    errors: outcome.errors,
  };
  const next = computeStatus(input);
  await writeStatus(manager, server, next);
  publishEvents(recorder, server, transitionEvents(server.status, next, outcome.facts));
  // Rate-limited retry; the status already says why.
  if (outcome.firstError !== undefined) throw outcome.firstError instanceof Error ? outcome.firstError : new Error(errorMessage(outcome.firstError));
  const settled = next.phase === "Failed" || next.phase === "Stopped" || next.conditions?.some((c) => c.type === "Ready" && c.status === "True");
  return { requeueAfter: settled ? options.resyncMs : options.pollMs };
}
