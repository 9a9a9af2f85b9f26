/**
 * The environment the kubelet adds to every container from the Services of its namespace ("service links", on
 * unless the pod sets `enableServiceLinks: false`), plus the `kubernetes` Service's variables it always adds.
 * It matters to DittoFS because the server reads every `DITTOFS_*` variable as configuration: a DittoServer named
 * `dittofs` gets a Service `dittofs-metrics`, whose link variable `DITTOFS_METRICS_PORT=tcp://…` is metrics.port.
 */
import type { KubeObject } from "../../../src/runtime/objects.ts";

interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
}

/** Stand-in ClusterIPs for Services that have none yet (they are only rendered, never created). */
function fakeClusterIP(index: number): string {
  return `10.96.0.${10 + index}`;
}

const envName = (text: string): string => text.toUpperCase().replaceAll("-", "_");

/** Link variables of one Service, in the kubelet's format. */
function linkVars(name: string, ip: string, ports: ServicePort[]): Record<string, string> {
  const prefix = envName(name);
  const vars: Record<string, string> = {};
  const first = ports[0];
  if (!first) return vars;
  vars[`${prefix}_SERVICE_HOST`] = ip;
  vars[`${prefix}_SERVICE_PORT`] = String(first.port);
  for (const port of ports) if (port.name) vars[`${prefix}_SERVICE_PORT_${envName(port.name)}`] = String(port.port);
  vars[`${prefix}_PORT`] = `${(first.protocol ?? "TCP").toLowerCase()}://${ip}:${first.port}`;
  for (const port of ports) {
    const protocol = port.protocol ?? "TCP";
    const base = `${prefix}_PORT_${port.port}_${protocol}`;
    vars[base] = `${protocol.toLowerCase()}://${ip}:${port.port}`;
    vars[`${base}_PROTO`] = protocol.toLowerCase();
    vars[`${base}_PORT`] = String(port.port);
    vars[`${base}_ADDR`] = ip;
  }
  return vars;
}

/** Variables the kubelet would inject for `services` (same namespace as the pod). */
export function serviceLinkEnv(services: readonly KubeObject[], enableServiceLinks: boolean | undefined): Record<string, string> {
  const env: Record<string, string> = { ...linkVars("kubernetes", "10.96.0.1", [{ name: "https", port: 443, protocol: "TCP" }]) };
  if (enableServiceLinks === false) {
    // Only the master Service's host/port pair survives when links are off.
    return { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };
  }
  services.forEach((service, index) => {
    const spec = (service.spec ?? {}) as { clusterIP?: string; ports?: ServicePort[] };
    if (spec.clusterIP === "None") return; // headless Services get no variables
    Object.assign(env, linkVars(service.metadata.name ?? "", spec.clusterIP ?? fakeClusterIP(index), spec.ports ?? []));
  });
  return env;
}
