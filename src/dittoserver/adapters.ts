/**
 * What the adapter list of the DittoFS API means for Kubernetes: one Service per enabled adapter
 * (`<name>-adapter-<type>`, the reference's names and ports), `status.adapters[]`, and whether the server is
 * really serving.
 *
 * Adapters are server-side state changed over REST at any time, so none of this touches the pod template: the
 * Services use numeric target ports, and a toggled adapter never rolls the pod (defect 7).
 *
 * A Service exists for every *enabled* adapter, running or not: an adapter that failed to bind is reported by
 * readiness, while its Service (and a LoadBalancer's external address) stays, ready for when it binds again.
 */
import { createHash } from "node:crypto";
import type { DittoServer } from "../api/types.ts";
import { DEFAULTS } from "../api/defaults.ts";
import type { Adapter, Liveness, NfsSettings } from "../dittofs/wire.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { childMetadata, COMPONENTS, selectorLabels } from "./labels.ts";

/**
 * What the operator knows of a server's adapters in a pass: the last answer of `GET /adapters` (and the NFS
 * settings, for the portmapper). Undefined while nothing is known (API not reached yet): children derived from it
 * are then neither created nor pruned, and nothing that blocks traffic may depend on it.
 */
export interface AdapterView {
  adapters: readonly Adapter[];
  nfs?: NfsSettings;
}

/**
 * The adapter types DittoFS v0.29.0 has. Every name a child derived from the adapter list can have is built from
 * these, so a child of an adapter that went away is still found (and pruned) by name.
 */
export const ADAPTER_TYPES = ["nfs", "smb"] as const;

/** Label telling adapter Services apart (value: the adapter type); lists and deletes of obsolete ones select on it. */
export const ADAPTER_TYPE_LABEL = "dittofs.dittofs.com/adapter-type";

/** Fixed ports of the reference's adapter Services. */
export const DISCOVERY_PORTS = {
  /** The portmapper as NFS clients expect it (RFC 1057); the server listens on `portmapper_port` (10111). */
  portmapper: 111,
  mdns: 5353,
  wsDiscovery: 3702,
  wsDiscoveryMetadata: 5357,
} as const;

const PORT_NAME_MAX = 15;

/** An adapter type as it may appear in names: lower case, `[a-z0-9-]`, no double or edge dashes (as the reference). */
export function sanitizeAdapterType(type: string): string {
  const s = type.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/-{2,}/g, "-").replace(/^-+|-+$/g, "");
  return s === "" ? "unknown" : s;
}

/** `<name>-adapter-<type>`. */
export function adapterServiceName(serverName: string, type: string): string {
  return `${serverName}-adapter-${sanitizeAdapterType(type)}`;
}

/** `adapter-<type>`, or `adapter-xx-<4 hex>` when longer than a port name may be (the reference's rule). */
export function adapterPortName(type: string): string {
  const sanitized = sanitizeAdapterType(type);
  const name = `adapter-${sanitized}`;
  if (name.length <= PORT_NAME_MAX) return name;
  const suffix = createHash("sha256").update(sanitized).digest("hex").slice(0, 4);
  return `${name.slice(0, 10).replace(/-+$/, "")}-${suffix}`;
}

interface ServicePort {
  name: string;
  port: number;
  targetPort: number;
  protocol: "TCP" | "UDP";
}

function port(name: string, number: number, protocol: "TCP" | "UDP", target = number): ServicePort {
  return { name, port: number, targetPort: target, protocol };
}

/** The ports of one adapter's Service. `nfs` says whether the portmapper is on, and on which port. */
export function adapterServicePorts(adapter: Pick<Adapter, "type" | "port">, nfs: NfsSettings | undefined): ServicePort[] {
  const type = sanitizeAdapterType(adapter.type);
  const name = adapterPortName(type);
  const ports = [port(name, adapter.port, "TCP")];
  if (type === "nfs") {
    // NLM/NSM/MOUNT over UDP on the NFS port, for NFSv3 lock clients.
    ports.push(port(`${name}-udp`, adapter.port, "UDP"));
    if (nfs?.portmapperEnabled) {
      ports.push(port("portmap", DISCOVERY_PORTS.portmapper, "TCP", nfs.portmapperPort), port("portmap-udp", DISCOVERY_PORTS.portmapper, "UDP", nfs.portmapperPort));
    }
  }
  ports.push(port("mdns", DISCOVERY_PORTS.mdns, "UDP"));
  if (type === "smb") ports.push(port("wsd", DISCOVERY_PORTS.wsDiscovery, "UDP"), port("wsd-meta", DISCOVERY_PORTS.wsDiscoveryMetadata, "TCP"));
  return ports;
}

/** The desired Service of every enabled adapter, for server-side apply; obsolete ones are those not in the list. */
export function desiredAdapterServices(server: DittoServer, adapters: readonly Adapter[], nfs: NfsSettings | undefined): KubeObject[] {
  const name = server.metadata.name ?? "";
  const spec = server.spec.adapterServices;
  return adapters
    .filter((a) => a.enabled)
    .map((a) => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: childMetadata(server, adapterServiceName(name, a.type), COMPONENTS.fileService, {
        labels: { [ADAPTER_TYPE_LABEL]: sanitizeAdapterType(a.type) },
        ...(spec.annotations ? { annotations: spec.annotations } : {}),
      }),
      spec: { type: spec.type ?? DEFAULTS.adapterServices.type, selector: selectorLabels(server), ports: adapterServicePorts(a, nfs) },
    }));
}

/** One entry of `status.adapters`. */
export interface AdapterStatus {
  type: string;
  port: number;
  enabled: boolean;
  running: boolean;
  /** The adapter's own health: healthy, degraded, unhealthy, unknown or disabled. */
  status: string;
  message?: string;
}

const MAX_MESSAGE = 1024;

/** `status.adapters`, sorted by type so an unchanged list compares (and writes) as unchanged. */
export function adapterStatuses(adapters: readonly Adapter[]): AdapterStatus[] {
  return [...adapters]
    .sort((a, b) => a.type.localeCompare(b.type))
    .map((a) => ({
      type: a.type,
      port: a.port,
      enabled: a.enabled,
      running: a.running,
      status: a.health.status,
      ...(a.health.message ? { message: a.health.message.slice(0, MAX_MESSAGE) } : {}),
    }));
}

export type Serving =
  | { serving: true; message: string }
  | { serving: false; reason: "ControlPlaneDatabaseUnreachable" | "NoAdapterEnabled" | "AdapterNotRunning" | "AdapterUnhealthy"; adapter?: string; message: string };

/**
 * Ready means serving: every enabled adapter is running and reports itself healthy. `/health/ready` is no
 * evidence (it counts an adapter that failed to bind, defect 28). The first failing adapter, by type, is named with
 * the server's own message. With `liveness`, a server that lost its control-plane database is not serving either.
 */
export function serving(adapters: readonly Adapter[], liveness?: Liveness): Serving {
  if (liveness && liveness.controlPlaneDb === "unreachable") {
    return { serving: false, reason: "ControlPlaneDatabaseUnreachable", message: "the server cannot reach its control-plane database (GET /health: degraded)" };
  }
  const enabled = [...adapters].filter((a) => a.enabled).sort((a, b) => a.type.localeCompare(b.type));
  if (enabled.length === 0) return { serving: false, reason: "NoAdapterEnabled", message: "no file adapter is enabled, so the server serves no files" };
  for (const a of enabled) {
    const said = a.health.message ? `: ${a.health.message}` : "";
    if (!a.running) return { serving: false, reason: "AdapterNotRunning", adapter: a.type, message: `adapter ${a.type} (port ${a.port}) is enabled but not running${said}` };
    if (a.health.status !== "healthy") {
      return { serving: false, reason: "AdapterUnhealthy", adapter: a.type, message: `adapter ${a.type} (port ${a.port}) reports ${a.health.status}${said}` };
    }
  }
  return { serving: true, message: `serving: ${enabled.map((a) => `${a.type} on ${a.port}`).join(", ")}` };
}
