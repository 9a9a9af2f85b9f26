/**
 * The imperative shell of one apply pass of a DittoServer: read what the cache holds, let `planPass` decide every
 * write, let the executor perform them, write the status once at the end (errors included) when it changed, and
 * publish the events of transitions. Decisions live in the pure core (plan.ts, status.ts, events.ts); the
 * reconciler sees the world only through `ReconcilerDeps`.
 */
import { randomBytes } from "node:crypto";
import type { DittoServer } from "../api/types.ts";
import type { ReconcileContext, ReconcileResult } from "../runtime/controller.ts";
import { errorMessage } from "../runtime/errors.ts";
import type { PublishedEvent } from "../runtime/events.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { CORE } from "../runtime/resources.ts";
import type { ResourceType } from "../runtime/resources.ts";
import type { Writer } from "../runtime/writer.ts";
import { observeApi, podIPOf } from "./api-pass.ts";
import type { ApiObservation, DittoFsAccess } from "./api-pass.ts";
import { adapterServiceName } from "./adapters.ts";
import { CHILD_KINDS } from "./children.ts";
import { fileServiceRetirement } from "./file-service.ts";
import type { EventSpec, PassFacts } from "./events.ts";
import { transitionEvents } from "./events.ts";
import { errorsOf, executeWrites, factsOf } from "./executor.ts";
import type { Write, WriteReport } from "./executor.ts";
import { DITTOSERVERS, NETWORK_POLICIES, PERCONA_CLUSTERS, PVCS, STORAGE_CLASSES } from "./kinds.ts";
import type { OperatorOptions } from "./kinds.ts";
import { childNames, podName } from "./names.ts";
import { viewStatefulSet } from "./observe.ts";
import { claimsToExpand, ENTROPY_BYTES, observedChild, planPass } from "./plan.ts";
import type { Entropy, Observed } from "./plan.ts";
import { isPermanentRefusal, refusalOf, retryFloorMs, standingRefusal } from "./retries.ts";
import type { Refusal, RefusalMemory } from "./retries.ts";
import { orphanedClaimDeletes, readExtraClaims } from "./orphans.ts";
import { referencedSecretNames } from "./secretrefs.ts";
import { computeStatus, statusEqual } from "./status.ts";
import { referenceNetworkPolicyNames, takeoverUnderway } from "./takeover.ts";
import type { TakeoverObservation } from "./takeover.ts";
import type { PerconaObservation, StatusInput } from "./status.ts";

/** Reads of the shared cache. Kinds nobody watches are refused (an empty cache must not read as "absent"). */
export interface CacheReader {
  get(res: ResourceType, key: string): KubeObject | undefined;
  list(res: ResourceType, namespace?: string): KubeObject[];
  /** The kind is watched now (for an optional CRD: it is installed and its informer runs). */
  watched(res: ResourceType): boolean;
}

/** Systems other than the Kubernetes API that a pass may call; without `dittofs` a pass makes no DittoFS call. */
export interface ExternalClients {
  dittofs?: DittoFsAccess;
}

/** Everything a pass may touch; nothing else (no manager, no module state). */
export interface ReconcilerDeps {
  cache: CacheReader;
  writer: Writer;
  recorder: { publish(e: PublishedEvent): void };
  clock: { now(): number };
  options: OperatorOptions;
  /** Random bytes for generated Secrets (only used when one has to be created). */
  entropy: () => Entropy;
  external: ExternalClients;
  /** Children the API server refused for good, so later passes of the same generation do not send them again. */
  refusals: RefusalMemory;
}

export function randomEntropy(): Entropy {
  return { jwt: randomBytes(ENTROPY_BYTES.jwt), admin: randomBytes(ENTROPY_BYTES.admin) };
}

const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The Percona cluster as the cache sees it; `crdMissing` while its CRD is not served. */
export function observePercona(cache: CacheReader, namespace: string, name: string): PerconaObservation {
  if (!cache.watched(PERCONA_CLUSTERS)) return { kind: "crdMissing" };
  const cluster = cache.get(PERCONA_CLUSTERS, key(namespace, childNames(name).perconaCluster));
  return cluster ? { kind: "present", cluster } : { kind: "absent" };
}

/** The reference operator's pod and NetworkPolicies, read live: the cache watches neither (see takeover.ts). */
async function observeTakeover(deps: ReconcilerDeps, server: DittoServer, sts: KubeObject | undefined): Promise<TakeoverObservation | undefined> {
  const underway = takeoverUnderway(server, sts);
  if (!underway.pod && !underway.networkPolicies) return undefined;
  const namespace = server.metadata.namespace ?? "";
  const name = server.metadata.name ?? "";
  const pod = underway.pod ? await deps.writer.readLive(CORE.pods, { namespace, name: podName(name) }) : undefined;
  const networkPolicies: KubeObject[] = [];
  for (const policy of underway.networkPolicies ? referenceNetworkPolicyNames(name) : []) {
    const found = await deps.writer.readLive(NETWORK_POLICIES, { namespace, name: policy });
    if (found) networkPolicies.push(found);
  }
  return { ...(pod ? { pod } : {}), networkPolicies };
}

/** Everything `planPass` needs: the cache, plus the few PVCs an expansion needs read from the API. */
async function observe(deps: ReconcilerDeps, server: DittoServer): Promise<Observed> {
  const { cache } = deps;
  const namespace = server.metadata.namespace ?? "";
  const name = server.metadata.name ?? "";
  const secrets = new Map<string, KubeObject | undefined>();
  for (const secret of referencedSecretNames(server)) secrets.set(secret, cache.get(CORE.secrets, key(namespace, secret)));
  const children: KubeObject[] = [];
  const unservedCrds = new Set<string>();
  for (const kind of CHILD_KINDS) {
    if (kind.optionalCrd && !cache.watched(kind.resource)) {
      unservedCrds.add(kind.optionalCrd);
      continue;
    }
    for (const childName of kind.names(server)) {
      const child = cache.get(kind.resource, key(namespace, childName));
      if (child) children.push(child);
    }
  }
  const classes = cache.list(STORAGE_CLASSES);
  const classNames = new Set(classes.map((c) => c.metadata.name));
  const wanted = [server.spec.storage.storageClassName, server.spec.percona?.enabled ? server.spec.percona.storageClassName : undefined];
  const expandable = new Set<string>();
  for (const c of classes) {
    if (c.allowVolumeExpansion !== true) continue;
    expandable.add(c.metadata.name ?? "");
    if (c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true") expandable.add("");
  }
  const takeover = await observeTakeover(deps, server, children.find((c) => c.kind === "StatefulSet" && c.metadata.name === childNames(name).statefulSet));
  const observed: Observed = {
    secrets,
    children,
    unservedCrds,
    ...(server.spec.percona?.enabled ? { percona: observePercona(cache, namespace, name) } : {}),
    missingStorageClasses: [...new Set(wanted.filter((c): c is string => !!c && !classNames.has(c)))],
    expandableClasses: expandable,
    ...(deps.options.operatorNamespace ? { operatorNamespace: deps.options.operatorNamespace } : {}),
    ...(takeover ? { takeover } : {}),
  };
  const claims = new Map<string, KubeObject | undefined>();
  for (const pvc of claimsToExpand(server, observed)) claims.set(pvc, await deps.writer.readLive(PVCS, { namespace, name: pvc }));
  return claims.size > 0 ? { ...observed, claims } : observed;
}

/** Perform `writes`, logging why each child is rewritten (drift is worth a look). */
export async function perform(deps: ReconcilerDeps, ctx: ReconcileContext, writes: readonly Write[]): Promise<WriteReport> {
  for (const w of writes) if (w.why) ctx.logger.debug({ step: w.step, difference: w.why }, "applying a changed child");
  return executeWrites(deps.writer, writes, ctx.signal);
}

export function publishEvents(deps: ReconcilerDeps, server: DittoServer, events: EventSpec[]): void {
  const regarding = { apiVersion: server.apiVersion, kind: server.kind, namespace: server.metadata.namespace, name: server.metadata.name, uid: server.metadata.uid };
  for (const e of events) deps.recorder.publish({ regarding, type: e.type, reason: e.reason, action: e.action, note: e.message });
}

/** The status write of a pass, when the status differs from what the object carries (gone meanwhile: nothing to do). */
export function statusWrites(server: DittoServer, next: NonNullable<DittoServer["status"]>): Write[] {
  if (statusEqual(server.status, next)) return [];
  const object = { apiVersion: server.apiVersion, kind: server.kind, metadata: { name: server.metadata.name, namespace: server.metadata.namespace }, status: next } as KubeObject;
  return [{ op: "applyStatus", resource: DITTOSERVERS, object, step: "write status", tolerate: ["NotFound"] }];
}

/** The failure of a report as an Error for the work queue (rate-limited retry; the status already says why). */
export function failureOf(report: WriteReport): Error | undefined {
  if (!report.failure) return undefined;
  const err = report.failure.error;
  return err instanceof Error ? err : new Error(errorMessage(err));
}

/** Facts for events from what the executor really did. */
export function passFacts(report: WriteReport, configChanged?: boolean): PassFacts {
  const facts: PassFacts = configChanged === undefined ? {} : { configChanged };
  const created: string[] = [];
  const deleted: string[] = [];
  const expanded: string[] = [];
  for (const f of factsOf(report)) {
    if ("created" in f) created.push(f.created);
    else if ("deleted" in f) deleted.push(f.deleted);
    else if ("expandedVolume" in f) expanded.push(f.expandedVolume);
    else if ("replacedStatefulSet" in f) facts.replacedStatefulSet = f.replacedStatefulSet;
    else facts.perconaDeleted = f.perconaDeleted;
  }
  if (created.length) facts.created = created;
  if (deleted.length) facts.deleted = deleted;
  if (expanded.length) facts.expandedVolumes = expanded;
  return facts;
}

/** The report without its failure when that failure is a permanent refusal (a spec problem, not an error). */
function splitRefusal(server: DittoServer, report: WriteReport): { refused?: Refusal; transient: WriteReport } {
  const failure = report.failure;
  if (!failure || !isPermanentRefusal(failure.write, failure.error)) return { transient: report };
  return { refused: refusalOf(server, failure.write, failure.error), transient: { results: report.results } };
}

function podAvailable(observed: Observed, statefulSet: string): boolean {
  const sts = observedChild(observed, CORE.statefulSets, statefulSet);
  return sts !== undefined && viewStatefulSet(sts).available >= 1;
}

/**
 * One apply pass of a live DittoServer that carries our finalizer. A failure is returned (not thrown) with the
 * retry floor the status implies (retries.ts), so the back-off of a long failure survives a leader change.
 */
export async function applyServer(deps: ReconcilerDeps, ctx: ReconcileContext, server: DittoServer): Promise<ReconcileResult> {
  const { cache, options } = deps;
  const namespace = server.metadata.namespace ?? "";
  const name = server.metadata.name ?? "";
  const names = childNames(name);
  const seen = await observe(deps, server);
  let pod = cache.get(CORE.pods, key(namespace, podName(name)));
  const available = podAvailable(seen, names.statefulSet);
  // The StatefulSet counts the pod available, but the cached pod has no IP yet (its watch lags the StatefulSet's):
  // read it, or the API's first answer would land in one more status write (2 servers in 1000, scale benchmark).
  if (deps.external.dittofs && available && !podIPOf(pod)) pod = (await deps.writer.readLive(CORE.pods, { namespace, name: podName(name) })) ?? pod;
  const api = deps.external.dittofs
    ? await observeApi(deps.external.dittofs, { server, pod, available, secret: (n) => cache.get(CORE.secrets, key(namespace, n)), now: deps.clock.now(), signal: ctx.signal })
    : undefined;
  const observed: Observed = api?.view ? { ...seen, adapters: api.view } : seen;
  const plan = planPass(server, observed, deps.entropy());
  const extraClaims = await readExtraClaims(deps, server, observedChild(observed, CORE.statefulSets, names.statefulSet));
  const writes = [...plan.writes, ...orphanedClaimDeletes(namespace, extraClaims), ...(api?.writes ?? [])];
  // A write refused for good is not sent again for the same generation and object: the pass stops where it stopped.
  const standing = standingRefusal(deps.refusals.get(key(namespace, name)), server, writes);
  const { refused, transient: report } = splitRefusal(server, await perform(deps, ctx, standing ? writes.slice(0, standing.index) : writes));
  const refusal = refused ?? standing?.refusal;
  if (refusal) deps.refusals.set(key(namespace, name), refusal);
  else deps.refusals.delete(key(namespace, name));
  const appliedSts = report.results.find((r) => r.write.resource === CORE.statefulSets && r.write.op === "apply")?.object;

  const input: StatusInput = {
    server,
    now: deps.clock.now(),
    statefulSet: plan.replacingStatefulSet ? undefined : (appliedSts ?? observedChild(observed, CORE.statefulSets, names.statefulSet)),
    ...(plan.replacingStatefulSet ? { replacingStatefulSet: plan.replacingStatefulSet } : {}),
    pod,
    percona: observed.percona,
    nfsServices: {
      adapter: cache.get(CORE.services, key(namespace, adapterServiceName(name, "nfs"))),
      file: cache.get(CORE.services, key(namespace, names.fileService)),
    },
    clusterDomain: options.clusterDomain,
    unschedulableGraceMs: options.unschedulableGraceMs,
    volumeBindingGraceMs: options.volumeBindingGraceMs,
    specProblems: refusal ? [...plan.specProblems, refusal.message] : plan.specProblems,
    missingSecrets: plan.missingSecrets,
    missingStorageClasses: observed.missingStorageClasses,
    forbiddenStorageChanges: plan.forbiddenStorageChanges,
    immutableChanges: plan.immutableChanges,
    expandingVolumes: plan.expandingVolumes,
    errors: errorsOf(report, errorMessage),
    ...(api ? { api: { authenticated: api.auth, adapters: api.view?.adapters, serving: api.serving } } : {}),
    ...(api?.snapshotPolicies ? { snapshotPolicies: api.snapshotPolicies } : {}),
    ...(api?.stores ? { stores: api.stores } : {}),
  };
  const next = computeStatus(input);
  const status = await perform(deps, ctx, statusWrites(server, next));
  const failure = failureOf(report) ?? failureOf(status);
  const facts = { ...passFacts(report, plan.configChanged), ...apiFacts(api) };
  const retired = fileServiceRetirement(server, facts.deleted ?? [], plan.desired);
  if (!status.failure) publishEvents(deps, server, transitionEvents(server.status, next, retired ? { ...facts, fileServiceRetired: retired } : facts));
  if (failure) return { error: failure, retryFloorMs: retryFloorMs(next, deps.clock.now()) };
  const settled = next.phase === "Failed" || next.phase === "Stopped" || next.conditions?.some((c) => c.type === "Ready" && c.status === "True");
  const requeueAfter = settled ? options.resyncMs : options.pollMs;
  return { requeueAfter: api?.requeueAfterMs === undefined ? requeueAfter : Math.min(requeueAfter, api.requeueAfterMs) };
}

function apiFacts(api: ApiObservation | undefined): PassFacts {
  return api?.provisioned ? { accountProvisioned: true } : {};
}
