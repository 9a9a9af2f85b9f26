/**
 * Services of a DittoServer (headless, API, metrics, the retiring file Service) and its optional ServiceMonitor,
 * as complete desired objects for server-side apply: what is not in them (a removed annotation, a port) is removed
 * by the apply. `clusterIP` and `nodePort` are never set, so the API server keeps the ones it allocated.
 */
import type { DittoServer } from "../api/types.ts";
import { DEFAULTS } from "../api/defaults.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { childMetadata, COMPONENTS, labelsFor, selectorLabels } from "./labels.ts";
import { childNames, FILE_PORTS, PORT_NAMES } from "./names.ts";
import type { Json } from "./pod.ts";

function service(server: DittoServer, name: string, component: Parameters<typeof labelsFor>[1], spec: Json, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: childMetadata(server, name, component, annotations ? { annotations } : {}),
    spec: { ...spec, selector: selectorLabels(server) },
  };
}

function apiPort(server: DittoServer): Json {
  const port = server.spec.controlPlane.port;
  return { name: PORT_NAMES.api, port, targetPort: port, protocol: "TCP" };
}

/** `<name>-headless`: the StatefulSet's governing Service; lists the pod before it is ready so DNS works early. */
export function headlessService(server: DittoServer): KubeObject {
  return service(server, childNames(server.metadata.name ?? "").headlessService, COMPONENTS.api, {
    clusterIP: "None",
    publishNotReadyAddresses: true,
    ports: [apiPort(server)],
  });
}

/** `<name>-api`: the control-plane API; ClusterIP unless the spec asks otherwise (never a LoadBalancer by accident). */
export function apiService(server: DittoServer): KubeObject {
  const spec = server.spec.service;
  return service(
    server,
    childNames(server.metadata.name ?? "").apiService,
    COMPONENTS.api,
    { type: spec.type ?? DEFAULTS.service.type, ports: [apiPort(server)] },
    spec.annotations,
  );
}

/** `<name>-metrics` (ClusterIP), or undefined when metrics are off (the reconciler then deletes it). */
export function metricsService(server: DittoServer): KubeObject | undefined {
  const metrics = server.spec.metrics;
  if (!metrics?.enabled) return undefined;
  // Annotation-driven scrapers cannot present a bearer token, so they are only invited when none is needed.
  const annotations = metrics.bearerTokenSecret
    ? undefined
    : { "prometheus.io/scrape": "true", "prometheus.io/port": String(metrics.port), "prometheus.io/path": metrics.path };
  return service(
    server,
    childNames(server.metadata.name ?? "").metricsService,
    COMPONENTS.metrics,
    { type: "ClusterIP", ports: [{ name: PORT_NAMES.metrics, port: metrics.port, targetPort: metrics.port, protocol: "TCP" }] },
    annotations,
  );
}

/**
 * `<name>-file`: NFS and SMB on the adapters' seeded ports, as earlier versions created it. Kept only until the
 * adapter Services replace it (file-service.ts); never created for a new server.
 */
export function fileService(server: DittoServer): KubeObject {
  const spec = server.spec.adapterServices;
  return service(
    server,
    childNames(server.metadata.name ?? "").fileService,
    COMPONENTS.fileService,
    {
      type: spec.type ?? DEFAULTS.adapterServices.type,
      ports: [
        { name: PORT_NAMES.nfs, port: FILE_PORTS.nfs, targetPort: FILE_PORTS.nfs, protocol: "TCP" },
        { name: PORT_NAMES.smb, port: FILE_PORTS.smb, targetPort: FILE_PORTS.smb, protocol: "TCP" },
      ],
    },
    spec.annotations,
  );
}

/** Every Service the DittoServer should have, in apply order. */
export function desiredServices(server: DittoServer): KubeObject[] {
  const metrics = metricsService(server);
  return [headlessService(server), apiService(server), ...(metrics ? [metrics] : [])];
}

export const SERVICE_MONITOR_API_VERSION = "monitoring.coreos.com/v1";

/** ServiceMonitor `<name>-metrics` when metrics and serviceMonitor are enabled (needs the Prometheus-operator CRD). */
export function desiredServiceMonitor(server: DittoServer): KubeObject | undefined {
  const metrics = server.spec.metrics;
  if (!metrics?.enabled || !metrics.serviceMonitor?.enabled) return undefined;
  const names = childNames(server.metadata.name ?? "");
  const endpoint: Json = { port: PORT_NAMES.metrics, path: metrics.path, scheme: "http" };
  if (metrics.serviceMonitor.interval) endpoint.interval = metrics.serviceMonitor.interval;
  if (metrics.bearerTokenSecret) endpoint.bearerTokenSecret = { name: metrics.bearerTokenSecret.name, key: metrics.bearerTokenSecret.key ?? "" };
  const serviceLabels = labelsFor(server, COMPONENTS.metrics);
  return {
    apiVersion: SERVICE_MONITOR_API_VERSION,
    kind: "ServiceMonitor",
    metadata: childMetadata(server, names.serviceMonitor, COMPONENTS.metrics, { labels: metrics.serviceMonitor.labels ?? {} }),
    spec: {
      selector: { matchLabels: serviceLabels },
      namespaceSelector: { matchNames: [server.metadata.namespace ?? ""] },
      endpoints: [endpoint],
    },
  };
}

/** Owned children that may exist from an earlier spec and must go when the spec no longer wants them. */
export function obsoleteChildren(server: DittoServer): { apiVersion: string; kind: string; name: string }[] {
  const names = childNames(server.metadata.name ?? "");
  const out: { apiVersion: string; kind: string; name: string }[] = [];
  if (!metricsService(server)) out.push({ apiVersion: "v1", kind: "Service", name: names.metricsService });
  if (!desiredServiceMonitor(server)) out.push({ apiVersion: SERVICE_MONITOR_API_VERSION, kind: "ServiceMonitor", name: names.serviceMonitor });
  return out;
}
