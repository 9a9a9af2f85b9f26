/**
 * Ingress NetworkPolicies of the file-server pod (`spec.networkPolicy`), with the reference operator's names so a
 * switched server never has two sets:
 *
 * - `<name>-baseline`, from the spec alone: the API port from the operator's namespace and `apiFrom`; the metrics
 *   port from `monitoringNamespace`; and every file port the server opens with its seeded adapter settings (NFS
 *   12049 TCP+UDP, SMB 1445, the portmapper's default 10111 TCP+UDP, mDNS 5353/UDP, WS-Discovery 3702/UDP and
 *   5357/TCP) from any source. It never depends on the DittoFS API, so NFS is not blocked before the first adapter
 *   poll nor during an API outage (reference defect 20).
 * - `<name>-adapter-<type>`, one per enabled adapter the API reports: the ports it really uses (an adapter moved or a
 *   portmapper enabled over REST), as its Service has them.
 *
 * NetworkPolicies are additive: a connection is allowed when any policy selecting the pod allows it. Ports are the
 * pod's (after a Service's translation), so the portmapper is allowed on the port the server listens on, not on 111.
 * Traffic from the pod's own node (kubelet probes) is allowed by Kubernetes whatever the policies say.
 */
import type { ApiPeer, DittoServer } from "../api/types.ts";
import type { Adapter, NfsSettings } from "../dittofs/wire.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { ADAPTER_TYPE_LABEL, ADAPTER_TYPES, adapterServiceName, adapterServicePorts, DISCOVERY_PORTS, sanitizeAdapterType } from "./adapters.ts";
import type { AdapterView } from "./adapters.ts";
import { childMetadata, COMPONENTS, selectorLabels } from "./labels.ts";
import { childNames, FILE_PORTS } from "./names.ts";

const NETWORK_POLICY_API_VERSION = "networking.k8s.io/v1";

/** Label the API server puts on every namespace (its name): how a policy names one namespace. */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** The NFS adapter's portmapper port until changed over REST (DittoFS seeds it with the portmapper off). */
const DEFAULT_PORTMAPPER_PORT = 10111;

interface PolicyPort {
  port: number;
  protocol: "TCP" | "UDP";
}

interface IngressRule {
  ports: PolicyPort[];
  /** Absent: any source. */
  from?: ApiPeer[];
}

const tcp = (port: number): PolicyPort => ({ port, protocol: "TCP" });
const udp = (port: number): PolicyPort => ({ port, protocol: "UDP" });

function namespacePeer(namespace: string): ApiPeer {
  return { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } } };
}

/** The file ports a server opens with the adapter settings DittoFS seeds, open to any source in the baseline. */
export function seededFilePorts(): PolicyPort[] {
  return [
    tcp(FILE_PORTS.nfs),
    udp(FILE_PORTS.nfs),
    tcp(FILE_PORTS.smb),
    tcp(DEFAULT_PORTMAPPER_PORT),
    udp(DEFAULT_PORTMAPPER_PORT),
    udp(DISCOVERY_PORTS.mdns),
    udp(DISCOVERY_PORTS.wsDiscovery),
    tcp(DISCOVERY_PORTS.wsDiscoveryMetadata),
  ];
}

/**
 * Who may reach the API port: the operator's namespace and `apiFrom`. Without an operator namespace (the operator
 * runs outside the cluster) and without `apiFrom`, nobody is named, and the rule is left open to every source:
 * otherwise the operator would lock itself out of the API it drives. With `apiFrom` alone, only those peers (an
 * operator outside the cluster then needs an ipBlock there).
 */
function apiPeers(server: DittoServer, operatorNamespace: string | undefined): ApiPeer[] {
  return [...(operatorNamespace ? [namespacePeer(operatorNamespace)] : []), ...structuredClone(server.spec.networkPolicy.apiFrom ?? [])];
}

function ingressRules(server: DittoServer, operatorNamespace: string | undefined): IngressRule[] {
  const peers = apiPeers(server, operatorNamespace);
  const rules: IngressRule[] = [{ ports: [tcp(server.spec.controlPlane.port)], ...(peers.length > 0 ? { from: peers } : {}) }];
  const metrics = server.spec.metrics;
  if (metrics?.enabled) {
    const monitoring = server.spec.networkPolicy.monitoringNamespace;
    rules.push({ ports: [tcp(metrics.port)], ...(monitoring ? { from: [namespacePeer(monitoring)] } : {}) });
  }
  rules.push({ ports: seededFilePorts() });
  return rules;
}

function policy(server: DittoServer, name: string, ingress: IngressRule[], labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: NETWORK_POLICY_API_VERSION,
    kind: "NetworkPolicy",
    metadata: childMetadata(server, name, COMPONENTS.networkPolicy, { labels }),
    spec: { podSelector: { matchLabels: selectorLabels(server) }, policyTypes: ["Ingress"], ingress },
  };
}

/** `<name>-baseline`, or undefined when `spec.networkPolicy.enabled` is false (the pass then deletes it). */
export function desiredBaselinePolicy(server: DittoServer, operatorNamespace: string | undefined): KubeObject | undefined {
  if (!server.spec.networkPolicy.enabled) return undefined;
  return policy(server, childNames(server.metadata.name ?? "").baselinePolicy, ingressRules(server, operatorNamespace));
}

/** The pod ports one adapter uses, as its Service targets them, each once. */
function adapterPolicyPorts(adapter: Pick<Adapter, "type" | "port">, nfs: NfsSettings | undefined): PolicyPort[] {
  const seen = new Map<string, PolicyPort>();
  for (const p of adapterServicePorts(adapter, nfs)) seen.set(`${p.targetPort}/${p.protocol}`, { port: p.targetPort, protocol: p.protocol });
  return [...seen.values()];
}

/**
 * `<name>-adapter-<type>` for every enabled adapter of a type DittoFS has (`ADAPTER_TYPES`: only those names are
 * observed and pruned); none when policies are off.
 */
export function desiredAdapterPolicies(server: DittoServer, view: AdapterView): KubeObject[] {
  if (!server.spec.networkPolicy.enabled) return [];
  const name = server.metadata.name ?? "";
  const known: readonly string[] = ADAPTER_TYPES;
  return view.adapters
    .filter((a) => a.enabled && known.includes(sanitizeAdapterType(a.type)))
    .map((a) =>
      policy(server, adapterServiceName(name, a.type), [{ ports: adapterPolicyPorts(a, view.nfs) }], { [ADAPTER_TYPE_LABEL]: sanitizeAdapterType(a.type) }),
    );
}

/** Every name an adapter policy of `server` can have. */
export function adapterPolicyNames(server: DittoServer): string[] {
  return ADAPTER_TYPES.map((type) => adapterServiceName(server.metadata.name ?? "", type));
}
