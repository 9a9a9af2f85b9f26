/**
 * What a set of NetworkPolicies lets through, by the networking.k8s.io/v1 rules, for the tests: a connection to a
 * pod is allowed when no policy selects the pod, or when some Ingress rule of a policy selecting it lists the port
 * (or no ports) and has no `from`, or a `from` peer matching the source. No CNI runs in the test clusters, so this
 * stands in for one; only what the operator renders is supported (no endPort or named ports; sources are IPv4).
 */
import type { KubeObject } from "../../src/runtime/objects.ts";

export interface Target {
  port: number;
  protocol: "TCP" | "UDP";
}

/** Where a connection comes from: a pod in `namespace` (labels of both), or an address outside the cluster. */
export interface Source {
  namespace?: string;
  namespaceLabels?: Record<string, string>;
  podLabels?: Record<string, string>;
  ip?: string;
}

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}

interface Rule {
  ports?: { port?: number; protocol?: string }[];
  from?: Peer[];
}

interface PolicySpec {
  podSelector: Selector;
  policyTypes?: string[];
  ingress?: Rule[];
}

function matches(selector: Selector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    const ok = { In: inValues, NotIn: !inValues, Exists: has, DoesNotExist: !has }[e.operator];
    if (ok !== true) return false;
  }
  return true;
}

function ipv4(address: string): number {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${address}`);
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

function inCidr(ip: string, cidr: string): boolean {
  if (cidr.includes(":")) return false; // an IPv6 range never holds the IPv4 sources the tests use
  const [base, bits] = cidr.split("/") as [string, string];
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipv4(base) / size) * size;
  const value = ipv4(ip);
  return value >= start && value < start + size;
}

function peerMatches(peer: Peer, policyNamespace: string, source: Source): boolean {
  if (peer.ipBlock) return source.ip !== undefined && inCidr(source.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(source.ip!, c));
  if (source.namespace === undefined) return false; // selectors only match pods
  const namespaceLabels = source.namespaceLabels ?? { "kubernetes.io/metadata.name": source.namespace };
  const namespaceOk = peer.namespaceSelector ? matches(peer.namespaceSelector, namespaceLabels) : source.namespace === policyNamespace;
  return namespaceOk && (!peer.podSelector || matches(peer.podSelector, source.podLabels ?? {}));
}

/** Whether `source` may connect to `target` on a pod with `podLabels` in `namespace`, under `policies`. */
export function allows(policies: readonly KubeObject[], pod: { namespace: string; labels: Record<string, string> }, target: Target, source: Source): boolean {
  const selecting = policies.filter((p) => {
    const spec = p.spec as PolicySpec;
    return p.metadata.namespace === pod.namespace && (spec.policyTypes ?? ["Ingress"]).includes("Ingress") && matches(spec.podSelector, pod.labels);
  });
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    ((p.spec as PolicySpec).ingress ?? []).some((rule) => {
      const portOk = !rule.ports || rule.ports.length === 0 || rule.ports.some((rp) => (rp.port === undefined || rp.port === target.port) && (rp.protocol ?? "TCP") === target.protocol);
      const fromOk = !rule.from || rule.from.length === 0 || rule.from.some((peer) => peerMatches(peer, pod.namespace, source));
      return portOk && fromOk;
    }),
  );
}
