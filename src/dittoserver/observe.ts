/**
 * Reading observed children: StatefulSet rollout state, pod failure reasons, the NFS endpoint. Pure helpers
 * for `status.ts`; they accept whatever the API server returned and never throw on missing fields.
 */
import type { KubeObject } from "../runtime/objects.ts";
import { adapterPortName, adapterServiceName } from "./adapters.ts";
import { childNames, CONFIG_HASH_ANNOTATION, FILE_PORTS } from "./names.ts";
import type { Json } from "./pod.ts";

function obj(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function int(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

export interface StatefulSetView {
  desired: number;
  current: number;
  ready: number;
  available: number;
  updated: number;
  /** The controller has seen the latest spec (status.observedGeneration ≥ metadata.generation). */
  observed: boolean;
  /** All pods run the update revision. */
  revisionsConverged: boolean;
  /** Config hash stamped on the pod template. */
  templateHash: string | undefined;
}

export function viewStatefulSet(sts: KubeObject): StatefulSetView {
  const spec = obj(sts.spec);
  const status = obj(sts.status);
  const template = obj(spec.template);
  const annotations = obj(obj(template.metadata).annotations);
  const desired = typeof spec.replicas === "number" ? spec.replicas : 1;
  const ready = int(status.readyReplicas);
  const generation = sts.metadata.generation ?? 0;
  const updateRevision = status.updateRevision;
  const currentRevision = status.currentRevision;
  return {
    desired,
    current: int(status.replicas),
    ready,
    // availableReplicas is absent on very old clusters; with minReadySeconds 0 it equals readyReplicas.
    available: typeof status.availableReplicas === "number" ? status.availableReplicas : ready,
    updated: int(status.updatedReplicas),
    observed: int(status.observedGeneration) >= generation,
    revisionsConverged: updateRevision === undefined || updateRevision === currentRevision,
    templateHash: typeof annotations[CONFIG_HASH_ANNOTATION] === "string" ? annotations[CONFIG_HASH_ANNOTATION] : undefined,
  };
}

/** Container waiting reasons that mean the pod will not become ready without someone's action. */
export const FAILING_WAIT_REASONS = new Set([
  "CrashLoopBackOff",
  "ImagePullBackOff",
  "ErrImagePull",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);

export interface PodFailure {
  container: string;
  init: boolean;
  reason: string;
  message: string;
}

/** The first failing (init) container of the pod, if any. */
export function podFailure(pod: KubeObject | undefined): PodFailure | undefined {
  if (!pod) return undefined;
  const status = obj(pod.status);
  const lists: [unknown, boolean][] = [
    [status.initContainerStatuses, true],
    [status.containerStatuses, false],
  ];
  for (const [list, init] of lists) {
    for (const entry of Array.isArray(list) ? list : []) {
      const container = obj(entry);
      const waiting = obj(obj(container.state).waiting);
      const reason = waiting.reason;
      if (typeof reason === "string" && FAILING_WAIT_REASONS.has(reason)) {
        return {
          container: typeof container.name === "string" ? container.name : "?",
          init,
          reason,
          message: typeof waiting.message === "string" ? waiting.message : "",
        };
      }
    }
  }
  return undefined;
}

/** `{name, state}` of each container status: all `podFailure` reads of them. */
function containerStates(list: unknown): Json[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.map((entry) => {
    const c = obj(entry);
    return { name: c.name, state: c.state };
  });
}

/**
 * What the cache keeps of a pod: its metadata (name, labels, deletion) and the status fields `podFailure` and
 * `podUnschedulable` read. Nothing reads a pod's spec, and most of its status (images, IDs, volume mounts, resources)
 * is never read either: the full object is several times the size of this view.
 */
export function podView(pod: KubeObject): KubeObject {
  const status = obj(pod.status);
  const view: Json = {};
  if (Array.isArray(status.conditions)) view.conditions = status.conditions;
  // The DittoFS API is reached at the pod's IP (api-pass.ts), never at an address from anywhere else.
  if (typeof status.podIP === "string") view.podIP = status.podIP;
  const init = containerStates(status.initContainerStatuses);
  if (init) view.initContainerStatuses = init;
  const main = containerStates(status.containerStatuses);
  if (main) view.containerStatuses = main;
  return { apiVersion: pod.apiVersion, kind: pod.kind, metadata: pod.metadata, status: view };
}

/**
 * What the scheduler says while a pod's claims are on their way to a volume: not bound yet, or bound to a volume its
 * cache has not seen yet, or the claim itself not in its cache yet (the StatefulSet controller creates it just
 * before the pod). The pod condition's reason is "Unschedulable" for every cause, so only the message tells.
 */
const CLAIM_BINDING = /unbound immediate PersistentVolumeClaims|bound to non-existent persistentvolume|persistentvolumeclaim "[^"]*" not found/i;

/**
 * Why the pod is not scheduled, once the scheduler has said so for at least `graceMs` — or `volumeBindingGraceMs`
 * when the only cause is claims not bound yet. A new StatefulSet pod is unschedulable while its claim binds;
 * reporting that would change the status twice for nothing, while a pod that stays unschedulable is news.
 */
export function podUnschedulable(pod: KubeObject | undefined, now: number, graces: { graceMs: number; volumeBindingGraceMs: number }): string | undefined {
  const conditions = obj(pod?.status).conditions;
  for (const entry of Array.isArray(conditions) ? conditions : []) {
    const c = obj(entry);
    if (c.type !== "PodScheduled" || c.status !== "False") continue;
    const since = typeof c.lastTransitionTime === "string" ? Date.parse(c.lastTransitionTime) : Number.NaN;
    const message = typeof c.message === "string" && c.message ? c.message : "unschedulable";
    // The transition time is the first refusal, whatever the cause: a message that changes keeps it.
    const graceMs = CLAIM_BINDING.test(message) ? graces.volumeBindingGraceMs : graces.graceMs;
    // No (or an unreadable) transition time: report at once rather than never.
    if (Number.isFinite(since) && now - since < graceMs) return undefined;
    return message;
  }
  return undefined;
}

export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";

/** `host:port` of a Service: its first load-balancer address when it has one, else its in-cluster DNS name. */
function serviceAddress(service: KubeObject | undefined, dnsName: string, port: number): string {
  const entries = obj(obj(obj(service?.status).loadBalancer)).ingress;
  for (const entry of Array.isArray(entries) ? entries : []) {
    const e = obj(entry);
    const host = typeof e.ip === "string" && e.ip ? e.ip : typeof e.hostname === "string" && e.hostname ? e.hostname : undefined;
    if (host) return `${host.includes(":") ? `[${host}]` : host}:${port}`;
  }
  return `${dnsName}:${port}`;
}

/** The Services `nfsEndpoint` reads: the NFS adapter's (`<name>-adapter-nfs`) and the retiring `<name>-file`. */
export interface NfsServices {
  adapter?: KubeObject | undefined;
  file?: KubeObject | undefined;
}

/**
 * Where clients mount NFS: the NFS adapter's Service once it exists, on the port it carries (it follows the
 * adapter); before that `<name>-file` while it exists, on the seeded port; with neither (a new server whose API
 * was not reached yet) the NFS adapter Service's name ahead of it. The load-balancer address when the Service has
 * one, else the in-cluster DNS name (the cluster domain is an input: not every cluster uses `cluster.local`).
 */
export function nfsEndpoint(serverName: string, namespace: string, services: NfsServices, clusterDomain = DEFAULT_CLUSTER_DOMAIN): string {
  const dns = (service: string) => `${service}.${namespace}.svc.${clusterDomain}`;
  const adapterName = adapterServiceName(serverName, "nfs");
  if (services.adapter) {
    const ports = obj(services.adapter.spec).ports;
    const tcp = (Array.isArray(ports) ? ports : []).map(obj).find((p) => p.name === adapterPortName("nfs"));
    return serviceAddress(services.adapter, dns(adapterName), typeof tcp?.port === "number" ? tcp.port : FILE_PORTS.nfs);
  }
  if (services.file) return serviceAddress(services.file, dns(childNames(serverName).fileService), FILE_PORTS.nfs);
  return `${dns(adapterName)}:${FILE_PORTS.nfs}`;
}
