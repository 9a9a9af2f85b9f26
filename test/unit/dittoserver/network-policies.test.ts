import { test } from "node:test";
import assert from "node:assert/strict";
import type { Adapter } from "../../../src/dittofs/wire.ts";
import { CHILD_KINDS, known, obsoleteChildren } from "../../../src/dittoserver/children.ts";
import type { BuildContext } from "../../../src/dittoserver/children.ts";
import { selectorLabels } from "../../../src/dittoserver/labels.ts";
import { adapterPolicyNames, desiredAdapterPolicies, desiredBaselinePolicy, seededFilePorts } from "../../../src/dittoserver/network-policies.ts";
import { planPass } from "../../../src/dittoserver/plan.ts";
import type { Observed } from "../../../src/dittoserver/plan.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { allows } from "../../contract/network-policy-check.ts";
import type { Source, Target } from "../../contract/network-policy-check.ts";
import { at, NS, server } from "./fixtures.ts";

const OPERATOR_NS = "dittofs-system";
const fromOperator: Source = { namespace: OPERATOR_NS };
const fromElsewhere: Source = { namespace: "team-b" };
const fromOutside: Source = { ip: "203.0.113.7" };

function adapter(type: string, port: number, changes: Partial<Adapter> = {}): Adapter {
  return { type, port, enabled: true, running: true, health: { status: "healthy", message: "" }, ...changes };
}

/** `operatorNamespace` null: the operator runs outside the cluster. */
function baseline(spec: Record<string, unknown> = {}, operatorNamespace: string | null = OPERATOR_NS): KubeObject {
  const policy = desiredBaselinePolicy(server(spec), operatorNamespace ?? undefined);
  assert.ok(policy);
  return policy;
}

const pod = { namespace: NS, labels: { ...selectorLabels(server()), "apps.kubernetes.io/pod-index": "0" } };
const reach = (policies: KubeObject[], target: Target, source: Source) => allows(policies, pod, target, source);
const tcp = (port: number): Target => ({ port, protocol: "TCP" });
const udp = (port: number): Target => ({ port, protocol: "UDP" });

test("baseline: the reference's name, our labels (not the reference's), owner, the pod's selector, Ingress only", () => {
  const p = baseline();
  assert.equal(p.apiVersion, "networking.k8s.io/v1");
  assert.equal(p.metadata.name, "fs1-baseline");
  assert.equal(p.metadata.namespace, NS);
  assert.equal(p.metadata.labels?.["app.kubernetes.io/component"], "network-policy");
  assert.equal(p.metadata.labels?.["dittofs.io/baseline-networkpolicy"], undefined, "the reference's label marks its own policies for removal");
  assert.equal(p.metadata.ownerReferences?.[0]?.uid, "uid-1");
  assert.deepEqual(at(p, "spec", "podSelector"), { matchLabels: selectorLabels(server()) });
  assert.deepEqual(at(p, "spec", "policyTypes"), ["Ingress"]);
  assert.equal(at(p, "spec", "egress"), undefined);
});

test("baseline: the API port from the operator's namespace only; the file ports from everywhere", () => {
  const p = [baseline()];
  assert.ok(reach(p, tcp(8080), fromOperator));
  assert.ok(!reach(p, tcp(8080), fromElsewhere));
  assert.ok(!reach(p, tcp(8080), fromOutside));
  assert.ok(!reach(p, tcp(8080), { namespace: NS }), "not even from the server's own namespace");
  for (const target of [tcp(12049), udp(12049), tcp(1445), tcp(10111), udp(10111), udp(5353), udp(3702), tcp(5357)]) {
    for (const source of [fromOperator, fromElsewhere, fromOutside]) assert.ok(reach(p, target, source), `${target.port}/${target.protocol} from ${JSON.stringify(source)}`);
  }
  assert.ok(!reach(p, tcp(9090), fromElsewhere), "metrics are off: nothing else is open");
  assert.ok(!reach(p, udp(1445), fromElsewhere), "SMB has no UDP port");
  assert.deepEqual(at(p[0], "spec", "ingress", 0, "from"), [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": OPERATOR_NS } } }]);
});

test("baseline: the file ports are exactly the seeded ones, whatever the spec says about the API and metrics", () => {
  const rules = at(baseline({ controlPlane: { port: 9443 }, metrics: { enabled: true, port: 9100 } }), "spec", "ingress") as { ports: unknown[]; from?: unknown }[];
  assert.deepEqual(rules.at(-1), { ports: seededFilePorts() });
  assert.deepEqual(rules.map((r) => r.ports), [[{ port: 9443, protocol: "TCP" }], [{ port: 9100, protocol: "TCP" }], seededFilePorts()]);
});

test("baseline: apiFrom peers are added to the operator's namespace, copied as written", () => {
  const apiFrom = [{ podSelector: { matchLabels: { role: "dfsctl" } } }, { namespaceSelector: { matchLabels: { team: "storage" } } }, { ipBlock: { cidr: "10.20.0.0/16", except: ["10.20.99.0/24"] } }, { ipBlock: { cidr: "fd00::/8" } }];
  const spec = { networkPolicy: { apiFrom } };
  const s = server(spec);
  const p = desiredBaselinePolicy(s, OPERATOR_NS)!;
  assert.deepEqual((at(p, "spec", "ingress", 0, "from") as unknown[]).slice(1), apiFrom);
  assert.notEqual(at(p, "spec", "ingress", 0, "from", 1), s.spec.networkPolicy.apiFrom![0], "a copy, not the spec's object");
  const policies = [p];
  assert.ok(reach(policies, tcp(8080), { namespace: NS, podLabels: { role: "dfsctl" } }), "a labelled pod of the server's namespace");
  assert.ok(!reach(policies, tcp(8080), { namespace: "team-b", podLabels: { role: "dfsctl" } }), "podSelector alone means the policy's namespace");
  assert.ok(reach(policies, tcp(8080), { namespace: "tools", namespaceLabels: { team: "storage" } }));
  assert.ok(reach(policies, tcp(8080), { ip: "10.20.1.1" }));
  assert.ok(!reach(policies, tcp(8080), { ip: "10.20.99.5" }), "except");
  assert.ok(reach(policies, tcp(8080), fromOperator));
});

test("baseline without the operator's namespace (operator outside the cluster): open API port, or apiFrom alone", () => {
  const open = baseline({}, null);
  assert.deepEqual(at(open, "spec", "ingress", 0), { ports: [{ port: 8080, protocol: "TCP" }] });
  assert.ok(reach([open], tcp(8080), fromOutside));
  const narrowed = baseline({ networkPolicy: { apiFrom: [{ ipBlock: { cidr: "192.0.2.0/24" } }] } }, null);
  assert.deepEqual(at(narrowed, "spec", "ingress", 0, "from"), [{ ipBlock: { cidr: "192.0.2.0/24" } }]);
  assert.ok(reach([narrowed], tcp(8080), { ip: "192.0.2.9" }));
  assert.ok(!reach([narrowed], tcp(8080), fromOutside));
});

test("baseline: the metrics port from the monitoring namespace, from everywhere without one, absent while metrics are off", () => {
  const monitored = [baseline({ metrics: { enabled: true }, networkPolicy: { monitoringNamespace: "monitoring" } })];
  assert.ok(reach(monitored, tcp(9090), { namespace: "monitoring" }));
  assert.ok(!reach(monitored, tcp(9090), fromElsewhere));
  assert.ok(!reach(monitored, tcp(9090), fromOperator));
  const open = [baseline({ metrics: { enabled: true, port: 9100 } })];
  assert.ok(reach(open, tcp(9100), fromElsewhere));
  const off = baseline({ metrics: { enabled: false }, networkPolicy: { monitoringNamespace: "monitoring" } });
  assert.equal((at(off, "spec", "ingress") as unknown[]).length, 2);
  assert.ok(!reach([off], tcp(9090), { namespace: "monitoring" }));
});

test("networkPolicy.enabled false: no baseline and no adapter policies", () => {
  const s = server({ networkPolicy: { enabled: false } });
  assert.equal(desiredBaselinePolicy(s, OPERATOR_NS), undefined);
  assert.deepEqual(desiredAdapterPolicies(s, { adapters: [adapter("nfs", 12049)] }), []);
});

test("adapter policies: one per enabled adapter of a known type, on the ports it really uses", () => {
  const view = {
    adapters: [adapter("nfs", 2049), adapter("smb", 445, { running: false }), adapter("ftp", 21)],
    nfs: { portmapperEnabled: true, portmapperPort: 20111 },
  };
  const policies = desiredAdapterPolicies(server(), view);
  assert.deepEqual(policies.map((p) => p.metadata.name), ["fs1-adapter-nfs", "fs1-adapter-smb"], "enabled, running or not; ftp is no DittoFS type");
  assert.deepEqual(policies.map((p) => p.metadata.labels?.["dittofs.dittofs.com/adapter-type"]), ["nfs", "smb"]);
  assert.deepEqual(at(policies[0], "spec", "ingress"), [
    {
      ports: [
        { port: 2049, protocol: "TCP" },
        { port: 2049, protocol: "UDP" },
        { port: 20111, protocol: "TCP" },
        { port: 20111, protocol: "UDP" },
        { port: 5353, protocol: "UDP" },
      ],
    },
  ]);
  assert.deepEqual(at(policies[1], "spec", "ingress", 0, "ports"), [
    { port: 445, protocol: "TCP" },
    { port: 5353, protocol: "UDP" },
    { port: 3702, protocol: "UDP" },
    { port: 5357, protocol: "TCP" },
  ]);
  const all = [baseline(), ...policies];
  assert.ok(!reach([baseline()], tcp(2049), fromElsewhere), "a moved port is not in the baseline…");
  assert.ok(reach(all, tcp(2049), fromElsewhere), "…but in the adapter's policy");
  assert.ok(reach(all, udp(20111), fromOutside));
  assert.ok(!reach(all, tcp(111), fromOutside), "111 is a Service port; the pod listens on the portmapper's own port");
  assert.ok(!reach(all, tcp(8080), fromElsewhere), "adapter policies open nothing else");
  const disabled = desiredAdapterPolicies(server(), { adapters: [adapter("nfs", 2049, { enabled: false })] });
  assert.deepEqual(disabled, []);
  assert.deepEqual(adapterPolicyNames(server()), ["fs1-adapter-nfs", "fs1-adapter-smb"]);
});

const adapterKind = CHILD_KINDS.find((k) => k.needsAdapters !== undefined && k.resource.kind === "NetworkPolicy")!;

test("registry: adapter policies wait for the adapter list, unless policies are off (then obsolete ones go at once)", () => {
  const unknown: BuildContext = { config: "" };
  assert.ok(adapterKind, "an adapter-derived NetworkPolicy kind is registered");
  assert.equal(known(adapterKind, unknown, server()), false);
  assert.equal(known(adapterKind, { config: "", adapters: { adapters: [] } }, server()), true);
  assert.equal(known(adapterKind, unknown, server({ networkPolicy: { enabled: false } })), true);
  const obsolete = (s: ReturnType<typeof server>, ctx: BuildContext) => obsoleteChildren(s, ctx).filter((c) => c.kind === "NetworkPolicy").map((c) => c.name);
  assert.deepEqual(obsolete(server(), unknown), [], "nothing pruned while the list is unknown");
  assert.deepEqual(obsolete(server(), { config: "", adapters: { adapters: [adapter("nfs", 12049)] } }), ["fs1-adapter-smb"]);
  assert.deepEqual(obsolete(server({ networkPolicy: { enabled: false } }), unknown), ["fs1-baseline", "fs1-adapter-nfs", "fs1-adapter-smb"]);
});

test("planner: adapter policies follow the AdapterView of the pass; applied once, pruned when the adapter goes, untouched while unknown", () => {
  const entropy = { jwt: new Uint8Array(32).fill(1), admin: new Uint8Array(18).fill(2) };
  const s = server();
  const steps = (observed: Observed) => planPass(s, observed, entropy).writes.filter((w) => w.resource.kind === "NetworkPolicy").map((w) => w.step);
  const both: Observed = { secrets: new Map(), operatorNamespace: OPERATOR_NS, adapters: { adapters: [adapter("nfs", 12049), adapter("smb", 1445)] } };
  const first = planPass(s, both, entropy);
  assert.deepEqual(steps(both), ["apply NetworkPolicy fs1-baseline", "apply NetworkPolicy fs1-adapter-nfs", "apply NetworkPolicy fs1-adapter-smb"]);
  const settled = (view: Observed["adapters"]): Observed => ({ ...both, adapters: view, children: first.desired });
  assert.deepEqual(steps(settled(both.adapters)), [], "in sync: no write");
  assert.deepEqual(steps(settled({ adapters: [adapter("nfs", 12049), adapter("smb", 1445, { enabled: false })] })), ["delete NetworkPolicy fs1-adapter-smb"]);
  assert.deepEqual(steps(settled({ adapters: [adapter("nfs", 2049), adapter("smb", 1445)] })), ["apply NetworkPolicy fs1-adapter-nfs"], "a moved port rewrites its policy only");
  assert.deepEqual(steps(settled(undefined)), [], "unknown: neither applied nor pruned");
  const off = server({ networkPolicy: { enabled: false } });
  const offSteps = planPass(off, { ...both, adapters: undefined, children: first.desired }, entropy).writes.filter((w) => w.resource.kind === "NetworkPolicy").map((w) => w.step);
  assert.deepEqual(offSteps, ["delete NetworkPolicy fs1-baseline", "delete NetworkPolicy fs1-adapter-nfs", "delete NetworkPolicy fs1-adapter-smb"]);
});
