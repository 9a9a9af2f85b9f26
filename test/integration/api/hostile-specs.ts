/**
 * A seeded, deterministic generator of hostile DittoServer specs: every free-form field that flows into a child
 * (labels, annotations, quantities, resource names, sizes, security contexts, tolerations, affinity, names, ports,
 * the image, NetworkPolicy peers) gets values a hostile or careless user would write, valid ones and invalid ones mixed, several fields
 * per spec so that combinations appear too. Pure: the same seed gives the same cases.
 */

/** mulberry32: small, fast, good enough to spread cases; the seed makes every run identical. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = Record<string, unknown>;

class Pick {
  private readonly random: () => number;
  constructor(random: () => number) {
    this.random = random;
  }
  int(max: number): number {
    return Math.floor(this.random() * max);
  }
  one<T>(values: readonly T[]): T {
    return values[this.int(values.length)]!;
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  /** How often `mixed` takes a valid value; set per case so that some cases are mostly valid and others not. */
  okRate = 0.7;
  /** Mostly a valid value, sometimes one that some check refuses. */
  mixed<T>(pool: Pool<T>): T {
    return this.chance(this.okRate) ? this.one(pool.ok) : this.one(pool.bad);
  }
  /** `undefined` with probability `p`, else one of `values`. */
  maybe<T>(p: number, values: readonly T[]): T | undefined {
    return this.chance(p) ? undefined : this.one(values);
  }
  some<T>(min: number, max: number, make: () => T): T[] {
    const n = min + this.int(max - min + 1);
    return Array.from({ length: n }, make);
  }
}

const long = (n: number, c = "a") => c.repeat(n);
/** A DNS subdomain of exactly `n` characters. */
const subdomain = (n: number) => `${long(n - 4, "d")}.com`;

/** Valid values, and values some check refuses; `Pick.mixed` takes a valid one with probability `okRate`. */
interface Pool<T> {
  ok: readonly T[];
  bad: readonly T[];
}

const LABEL_KEYS: Pool<string> = {
  ok: ["app", "tier", "example.com/team", "a.b-c.d/e_f.g", "x", long(63), `${subdomain(253)}/x`, "k8s.io/zone", "A_b.C-d", "app.kubernetes.io/version"],
  bad: [
    // syntax
    "Bad Key", "-x", "x-", "_x", long(64), "/x", "a/", "a/b/c", "example.com/", "", "${HOME}", "é", "Example.com/x", "a_b.com/x",
    `${subdomain(254)}/x`, "example.com/-x", "example..com/x", "x y/z",
    // reserved
    "dittofs.dittofs.com/applied-hash", "dittofs.dittofs.com/config-hash", "sub.dittofs.dittofs.com/x", "dittofs.dittofs.com/anything",
    "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component", "app.kubernetes.io/managed-by", "app.kubernetes.io/part-of",
  ],
};

const LABEL_VALUES: Pool<string> = {
  ok: ["", "v", "v1.2.3", "a.b_c-d", long(63), "UPPER", "1"],
  bad: ["${HOME}", "-x", "x-", "_x", "x_", "has space", "é", "a/b", long(64)],
};

const ANNOTATION_KEYS: Pool<string> = {
  ok: [...LABEL_KEYS.ok, "Example.COM/X", "kubernetes.io/change-cause", "prometheus.io/scrape", "service.beta.kubernetes.io/aws-load-balancer-type", "DITTOFS.dittofs.com/applied-hash"],
  bad: [
    ...LABEL_KEYS.bad, "kubernetes.io/config.mirror", "scheduler.alpha.kubernetes.io/tolerations", "controller.kubernetes.io/pod-deletion-cost",
    "seccomp.security.alpha.kubernetes.io/pod", "container.apparmor.security.beta.kubernetes.io/dittofs", "container.seccomp.security.alpha.kubernetes.io/dittofs",
  ],
};

const ANNOTATION_VALUES = ["", "${HOME}", "true", "runtime/default", "localhost/x", "12", "[]", "multi\nline", "é€😀", long(4096), long(4096, "é"), long(2048, "😀"), "{\"json\": [1, 2]}"] as const;

const QUANTITIES: Pool<string | number> = {
  ok: ["0", 0, "1", 1, 2, "500m", "1.5", "0.5", "1Gi", "0Gi", "1e3", "1E3", "+1", ".5", "5.", "1Ki", "2Mi", "4Mi", "1Mi", "1m", "100Mi", "1000m", "2000m", "64Gi"],
  bad: ["-1", -1, "1ki", "3Mi", "9223372036854775807", "1e100", "0.0001m"],
};

const RESOURCE_NAMES: Pool<string> = {
  ok: ["cpu", "memory", "ephemeral-storage", "hugepages-2Mi", "hugepages-1Gi", "example.com/gpu", "nvidia.com/gpu", "kubernetes.io/x", `${subdomain(244)}/x`],
  bad: ["hugepages-foo", "hugepages-0", "hugepages-", "requests.example.com/x", "bad name", "storage", "pods", "foo", `${subdomain(245)}/x`, "example.com/-x", "example.com/", "CPU", "Example.com/gpu"],
};

const SIZES: Pool<string> = { ok: ["1Gi", "1Mi", "2Gi", "1024Ti", "999999999Ti", "10Gi", "00010Gi"], bad: ["0Gi", "0Mi", "00Mi", "0Ti"] };

const IDS: Pool<number> = { ok: [0, 1000, 65532, 2147483647], bad: [-1, 2147483648, 4294967296] };

const PROFILE_PATHS: Pool<string> = { ok: ["profiles/x.json", "x..", "..x/y", "a/b.json"], bad: ["/abs/x.json", "../x", "a/../b", "a/..", "..", "", " x", "x "] };

const CAPABILITIES = ["NET_BIND_SERVICE", "CAP_SYS_ADMIN", "SYS_ADMIN", "ALL", "NET_ADMIN"] as const;

const SYSCTLS: Pool<string> = {
  ok: ["net.ipv4.ip_local_port_range", "kernel.shm_rmid_forced", "net/ipv4/tcp_syncookies", "a_b.c-d"],
  bad: ["Net.ipv4", "net..ipv4", "-net", "net.", "x y", ""],
};

const NAMESPACES: Pool<string> = { ok: ["default", "team-a", long(63)], bad: ["Team-A", "a_b", long(64), "", "-x", "x.y"] };

const NODE_NAMES: Pool<string> = { ok: ["node-1", "node.example.com", long(253, "n")], bad: ["Node_1", "", "-x"] };

/** ipBlock ranges: the NetworkPolicy's own validation wants a CIDR; non-canonical forms are refused by strict IP validation. */
const CIDRS: Pool<string> = {
  ok: ["10.0.0.0/8", "192.168.1.0/24", "0.0.0.0/0", "10.1.2.3/32", "fd00::/8", "2001:db8::/32", "::/0"],
  bad: ["10.0.0.1/8", "10.0.0.0", "300.0.0.0/8", "10.0.0.0/33", "", "fd00::1/8", "::ffff:10.0.0.0/104", "010.0.0.0/8", " 10.0.0.0/8", "2001:DB8::/32"],
};

const NODE_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"] as const;
const SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;
const NUMERIC_VALUES: Pool<string> = { ok: ["5", "0", "123456789012345678"], bad: ["-3", "abc", "1.5", "99999999999999999999", ""] };

export interface HostileCase {
  index: number;
  /** Which fields this case made hostile, for failure messages. */
  aspects: string[];
  name: string;
  spec: Json;
}

function labelMap(p: Pick, max = 4): Json {
  return Object.fromEntries(p.some(0, max, () => [p.mixed(LABEL_KEYS), p.mixed(LABEL_VALUES)]));
}

function annotationMap(p: Pick, max = 4): Json {
  const out: Json = Object.fromEntries(p.some(0, max, () => [p.mixed(ANNOTATION_KEYS), p.one(ANNOTATION_VALUES)]));
  // Now and then many large multi-byte values, around the 256 KiB per-object limit.
  if (p.chance(0.1)) for (let i = 0; i < 32; i++) out[`bulk-${i}.example.com/v`] = long(p.one([1000, 2000, 2100, 4096]), p.one(["a", "é"]));
  return out;
}

function quantities(p: Pick): Json {
  return Object.fromEntries(p.some(0, 3, () => [p.mixed(RESOURCE_NAMES), p.mixed(QUANTITIES)]));
}

function resources(p: Pick): Json {
  const out: Json = {};
  if (p.chance(0.7)) out.limits = quantities(p);
  if (p.chance(0.7)) out.requests = quantities(p);
  // Often mirror the limits so hugepages/extended resources get their equal request.
  if (p.chance(0.3) && out.limits) out.requests = { ...(out.limits as Json) };
  return out;
}

function profile(p: Pick): Json {
  const out: Json = { type: p.one(["RuntimeDefault", "Unconfined", "Localhost"]) };
  if (p.chance(0.5)) out.localhostProfile = p.mixed(PROFILE_PATHS);
  return out;
}

function containerSecurity(p: Pick): Json {
  const out: Json = {};
  const set = (k: string, v: unknown) => {
    if (v !== undefined) out[k] = v;
  };
  set("privileged", p.maybe(0.4, [true, false]));
  set("allowPrivilegeEscalation", p.maybe(0.4, [true, false]));
  if (p.chance(0.4)) out.runAsUser = p.mixed(IDS);
  if (p.chance(0.3)) out.runAsGroup = p.mixed(IDS);
  set("runAsNonRoot", p.maybe(0.7, [true, false]));
  set("readOnlyRootFilesystem", p.maybe(0.7, [true, false]));
  if (p.chance(0.4)) out.capabilities = { add: p.some(0, 2, () => p.one(CAPABILITIES)), ...(p.chance(0.5) ? { drop: ["ALL"] } : {}) };
  if (p.chance(0.3)) out.seccompProfile = profile(p);
  if (p.chance(0.3)) out.appArmorProfile = profile(p);
  if (p.chance(0.1)) out.seLinuxOptions = { level: p.one(["s0:c123,c456", "", "x y"]), user: "system_u" };
  return out;
}

function podSecurity(p: Pick): Json {
  const out: Json = {};
  for (const k of ["fsGroup", "runAsUser", "runAsGroup"]) if (p.chance(0.4)) out[k] = p.mixed(IDS);
  if (p.chance(0.3)) out.supplementalGroups = p.some(0, 3, () => p.mixed(IDS));
  if (p.chance(0.3)) out.fsGroupChangePolicy = p.one(["OnRootMismatch", "Always"]);
  if (p.chance(0.4)) out.sysctls = p.some(0, 3, () => ({ name: p.mixed(SYSCTLS), value: p.one(["1", "32768 60999", ""]) }));
  if (p.chance(0.3)) out.seccompProfile = profile(p);
  if (p.chance(0.3)) out.appArmorProfile = profile(p);
  return out;
}

function toleration(p: Pick): Json {
  const out: Json = {};
  const key = p.maybe(0.2, ["", "dedicated", "example.com/gpu", "Bad Key", long(64), "node.kubernetes.io/not-ready"]);
  if (key !== undefined) out.key = key;
  const operator = p.maybe(0.3, ["Exists", "Equal"]);
  if (operator !== undefined) out.operator = operator;
  if (p.chance(0.6)) out.value = p.mixed(LABEL_VALUES);
  const effect = p.maybe(0.4, ["NoSchedule", "PreferNoSchedule", "NoExecute"]);
  if (effect !== undefined) out.effect = effect;
  if (p.chance(0.3)) out.tolerationSeconds = p.one([0, 300, -1]);
  return out;
}

function values(p: Pick, operator: string): string[] | undefined {
  // Mostly the count the operator needs, sometimes not.
  const right = operator === "In" || operator === "NotIn" ? p.some(1, 3, () => p.mixed(LABEL_VALUES)) : operator === "Gt" || operator === "Lt" ? [p.mixed(NUMERIC_VALUES)] : [];
  const choice = p.int(10);
  if (choice < 6) return right.length > 0 ? right : undefined;
  if (choice < 7) return [];
  if (choice < 8) return undefined;
  return p.some(1, 3, () => p.one([...LABEL_VALUES.ok, ...LABEL_VALUES.bad, ...NUMERIC_VALUES.ok, ...NUMERIC_VALUES.bad]));
}

function requirement(p: Pick, operators: readonly string[]): Json {
  const operator = p.one(operators);
  const out: Json = { key: p.mixed(LABEL_KEYS), operator };
  const v = values(p, operator);
  if (v !== undefined) out.values = v;
  return out;
}

function fieldRequirement(p: Pick): Json {
  const out: Json = { key: p.chance(0.8) ? "metadata.name" : "metadata.namespace", operator: p.one(["In", "NotIn", "Exists"]) };
  const n = p.one([0, 1, 1, 1, 2]);
  if (n > 0 || p.chance(0.5)) out.values = Array.from({ length: n }, () => p.mixed(NODE_NAMES));
  return out;
}

function nodeTerm(p: Pick): Json {
  const out: Json = {};
  if (p.chance(0.8)) out.matchExpressions = p.some(0, 2, () => requirement(p, NODE_OPERATORS));
  if (p.chance(0.3)) out.matchFields = p.some(0, 1, () => fieldRequirement(p));
  return out;
}

function labelSelector(p: Pick): Json {
  const out: Json = {};
  if (p.chance(0.6)) out.matchLabels = labelMap(p, 2);
  if (p.chance(0.6)) out.matchExpressions = p.some(0, 2, () => requirement(p, SELECTOR_OPERATORS));
  return out;
}

function podTerm(p: Pick): Json {
  const out: Json = { topologyKey: p.one(["kubernetes.io/hostname", "topology.kubernetes.io/zone", "", "Bad Key", "-x"]) };
  if (p.chance(0.8)) out.labelSelector = labelSelector(p);
  if (p.chance(0.3)) out.namespaceSelector = labelSelector(p);
  if (p.chance(0.3)) out.namespaces = p.some(0, 2, () => p.mixed(NAMESPACES));
  const keys = ["app", "tier", "Bad Key", "example.com/team", "pod-template-hash"];
  if (p.chance(0.3)) out.matchLabelKeys = p.some(0, 2, () => p.one(keys));
  if (p.chance(0.3)) out.mismatchLabelKeys = p.some(0, 2, () => p.one(keys));
  return out;
}

function ipBlock(p: Pick): Json {
  // Half of them invalid, whatever the case's okRate: a CIDR is copied into the policy as written.
  const cidr = p.chance(0.5) ? p.one(CIDRS.ok) : p.one(CIDRS.bad);
  return p.chance(0.4) ? { cidr, except: p.some(1, 2, () => p.one([...CIDRS.ok, ...CIDRS.bad, "10.1.0.0/16", "192.168.1.128/25", "fd00:1::/32"])) } : { cidr };
}

/** A NetworkPolicy peer: selectors, an ipBlock, or (hostile) all of them. */
function peer(p: Pick): Json {
  const shape = p.int(3);
  const out: Json = {};
  if (shape !== 1 && p.chance(0.7)) out.podSelector = labelSelector(p);
  if (shape !== 1 && p.chance(0.7)) out.namespaceSelector = labelSelector(p);
  if (shape !== 0) out.ipBlock = ipBlock(p);
  return out;
}

function networkPolicy(p: Pick): Json {
  const out: Json = {};
  if (p.chance(0.9)) out.apiFrom = p.some(1, 3, () => peer(p));
  if (p.chance(0.5)) out.monitoringNamespace = p.mixed(NAMESPACES);
  return out;
}

function podAffinity(p: Pick): Json {
  const out: Json = {};
  if (p.chance(0.7)) out.requiredDuringSchedulingIgnoredDuringExecution = p.some(0, 2, () => podTerm(p));
  if (p.chance(0.5)) out.preferredDuringSchedulingIgnoredDuringExecution = p.some(0, 2, () => ({ weight: p.one([1, 50, 100]), podAffinityTerm: podTerm(p) }));
  return out;
}

function affinity(p: Pick): Json {
  const out: Json = {};
  if (p.chance(0.6)) {
    const node: Json = {};
    if (p.chance(0.7)) node.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: p.some(0, 2, () => nodeTerm(p)) };
    if (p.chance(0.5)) node.preferredDuringSchedulingIgnoredDuringExecution = p.some(0, 2, () => ({ weight: p.one([1, 100]), preference: nodeTerm(p) }));
    out.nodeAffinity = node;
  }
  if (p.chance(0.5)) out.podAffinity = podAffinity(p);
  if (p.chance(0.5)) out.podAntiAffinity = podAffinity(p);
  return out;
}

/** One hostile aspect: a field (or a few related ones) of the spec set to generated values. */
type Aspect = (p: Pick, spec: Json) => void;

const ASPECTS: Record<string, Aspect> = {
  podLabels: (p, s) => void (s.podLabels = labelMap(p)),
  podAnnotations: (p, s) => void (s.podAnnotations = annotationMap(p)),
  nodeSelector: (p, s) => void (s.nodeSelector = labelMap(p)),
  serviceAnnotations: (p, s) => void (s.service = { type: p.one(["ClusterIP", "NodePort", "LoadBalancer"]), annotations: annotationMap(p) }),
  adapterServiceAnnotations: (p, s) => void (s.adapterServices = { annotations: annotationMap(p) }),
  serviceMonitor: (p, s) => void (s.metrics = { enabled: true, serviceMonitor: { enabled: true, labels: labelMap(p), ...(p.chance(0.5) ? { interval: p.one(["30s", "1m30s", "5m5m", "0s"]) } : {}) } }),
  resources: (p, s) => void (s.resources = resources(p)),
  storage: (p, s) => void (s.storage = { metadataSize: p.mixed(SIZES), controlPlaneSize: p.mixed(SIZES), ...(p.chance(0.5) ? { contentSize: p.mixed(SIZES) } : {}), ...(p.chance(0.2) ? { storageClassName: p.one(["fast", "Fast_SSD", "a.b"]) } : {}) }),
  percona: (p, s) => void (s.percona = { enabled: true, storageSize: p.mixed(SIZES), ...(p.chance(0.3) ? { storageClassName: "fast" } : {}) }),
  securityContext: (p, s) => void (s.securityContext = containerSecurity(p)),
  podSecurityContext: (p, s) => void (s.podSecurityContext = podSecurity(p)),
  tolerations: (p, s) => void (s.tolerations = p.some(1, 3, () => toleration(p))),
  affinity: (p, s) => void (s.affinity = affinity(p)),
  networkPolicy: (p, s) => {
    s.networkPolicy = networkPolicy(p);
    if (p.chance(0.5)) s.metrics = { enabled: true };
  },
  image: (p, s) => void (s.image = p.one(["dittofs/dittofs:v0.29.0", " dittofs/dittofs", "dittofs/dittofs ", "dittofs/dittofs\t", "registry.example.com:5000/x/y@sha256:" + long(64, "0")])),
  imagePullSecrets: (p, s) => void (s.imagePullSecrets = p.some(1, 2, () => ({ name: p.one(["regcred", "Reg_Cred", "a.b"]) }))),
  priorityClassName: (p, s) => void (s.priorityClassName = p.one(["high", "system-cluster-critical", "High"])),
  ports: (p, s) => {
    s.controlPlane = { port: p.one([8080, 1445, 12049, 9090, 1, 65535]) };
    s.metrics = { enabled: p.chance(0.7), port: p.one([9090, 8080, 1445, 12049, 65535]) };
  },
  gracePeriod: (p, s) => {
    s.shutdownTimeout = p.one(["1s", "30s", "1h", "2h"]);
    if (p.chance(0.5)) s.terminationGracePeriodSeconds = p.one([30, 100, 3700, 86400]);
  },
};

const NAMES = ["hostile", long(45, "h"), "h-1"] as const;

/** `count` cases from `seed`: each sets 1–4 aspects over a valid minimal spec. */
export function hostileSpecs(seed: number, count: number): HostileCase[] {
  const p = new Pick(prng(seed));
  const aspects = Object.keys(ASPECTS);
  const cases: HostileCase[] = [];
  for (let index = 0; index < count; index++) {
    const spec: Json = { storage: { metadataSize: "1Gi" } };
    p.okRate = p.one([0.97, 0.9, 0.7]);
    const chosen = [...new Set(p.some(1, 4, () => p.one(aspects)))].sort();
    for (const aspect of chosen) ASPECTS[aspect]!(p, spec);
    cases.push({ index, aspects: chosen, name: p.one(NAMES), spec });
  }
  return cases;
}
