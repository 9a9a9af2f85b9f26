/**
 * NetworkPolicies on the real API server (no network plugin enforces them here, so the stored objects are checked,
 * with the networking.k8s.io/v1 rules evaluated by test/contract/network-policy-check.ts): the baseline is created
 * with the server and follows its spec; adapter policies are left alone while the adapter list is unknown;
 * `enabled: false` removes every policy at once. Then a real dfs behind the pod (the pod runner): every port the
 * process opens in its network namespace is allowed by the stored baseline alone, from the sources it should be.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { withDefaults } from "../../../src/api/defaulting.ts";
import { DITTOSERVERS, NETWORK_POLICIES } from "../../../src/dittoserver/kinds.ts";
import { LABEL_INSTANCE } from "../../../src/dittoserver/labels.ts";
import { desiredBaselinePolicy } from "../../../src/dittoserver/network-policies.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { RUNNER_LABEL } from "../../controlplane/index.ts";
import { createTestNamespace, waitFor } from "../../controlplane/testenv.ts";
import { listeningPorts } from "../../contract/listening-sockets.ts";
import { allows } from "../../contract/network-policy-check.ts";
import type { Source } from "../../contract/network-policy-check.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, deleteAllServers, dittoServer, getServer, installCrd, startOperator, TEST_OPTIONS } from "./support.ts";

const OPERATOR_NS = "dittofs-system";
const MONITORING_NS = "monitoring";
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-netpol");
  // The finalizer's pod wait must outlast the real server's drain (see real-server.test.ts).
  operator = await startOperator(ns.name, { ...TEST_OPTIONS, operatorNamespace: OPERATOR_NS, deletionPodTimeoutMs: 120_000 });
});

after(async () => {
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await ns.delete();
  await client.close();
});

const policy = (name: string): Promise<KubeObject | undefined> => client.getOrUndefined(NETWORK_POLICIES, { namespace: ns.name, name });

/** The baseline as the operator should have applied it for the server as stored now (spec and metadata checked). */
async function expectedBaseline(name: string): Promise<KubeObject> {
  const stored = withDefaults(await getServer(client, ns.name, name));
  const desired = desiredBaselinePolicy(stored, OPERATOR_NS);
  assert.ok(desired, "policies are enabled");
  return desired;
}

/** Waits until the stored `<name>-baseline` has the spec built from the server's current spec. */
async function baselineInSync(name: string): Promise<KubeObject> {
  return waitFor(`${name}-baseline as built from the spec`, async () => {
    const [stored, desired] = [await policy(`${name}-baseline`), await expectedBaseline(name)];
    if (!stored) return undefined;
    assert.deepEqual(stored.spec, desired.spec);
    return stored;
  }, { timeoutMs: 30_000, intervalMs: 200 });
}

async function patchSpec(name: string, spec: Record<string, unknown>): Promise<void> {
  await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name }, { spec });
}

describe("NetworkPolicies of a DittoServer (kwok pod)", { concurrency: false }, () => {
  const NAME = "np";

  it("creates <name>-baseline with the server: owned, our labels, the API port from the operator's namespace only", async () => {
    await client.create(DITTOSERVERS, dittoServer(ns.name, NAME, { storage: { metadataSize: "1Gi" } }));
    const stored = await baselineInSync(NAME);
    const server = await getServer(client, ns.name, NAME);
    assert.equal(stored.metadata.ownerReferences?.[0]?.uid, server.metadata.uid);
    assert.equal(stored.metadata.labels?.["app.kubernetes.io/component"], "network-policy");
    const pod = await waitFor<KubeObject>("pod np-0", () => client.getOrUndefined(CORE.pods, { namespace: ns.name, name: `${NAME}-0` }), { timeoutMs: 30_000, intervalMs: 200 });
    const target = { namespace: ns.name, labels: pod.metadata.labels ?? {} };
    assert.ok(allows([stored], target, { port: 8080, protocol: "TCP" }, { namespace: OPERATOR_NS }));
    assert.ok(!allows([stored], target, { port: 8080, protocol: "TCP" }, { namespace: "elsewhere" }), "the policy selects the real pod and closes the API to others");
    assert.ok(allows([stored], target, { port: 12049, protocol: "TCP" }, { ip: "198.51.100.1" }), "NFS is open before any adapter poll");
  });

  it("follows the spec: metrics from the monitoring namespace, apiFrom peers, a moved API port", async () => {
    await patchSpec(NAME, {
      controlPlane: { port: 8443 },
      metrics: { enabled: true },
      networkPolicy: { monitoringNamespace: MONITORING_NS, apiFrom: [{ podSelector: { matchLabels: { role: "dfsctl" } } }, { ipBlock: { cidr: "10.20.0.0/16" } }] },
    });
    const stored = await baselineInSync(NAME);
    const pod = { namespace: ns.name, labels: (await client.get(CORE.pods, { namespace: ns.name, name: `${NAME}-0` })).metadata.labels ?? {} };
    assert.ok(allows([stored], pod, { port: 9090, protocol: "TCP" }, { namespace: MONITORING_NS }));
    assert.ok(!allows([stored], pod, { port: 9090, protocol: "TCP" }, { namespace: OPERATOR_NS }));
    assert.ok(allows([stored], pod, { port: 8443, protocol: "TCP" }, { namespace: ns.name, podLabels: { role: "dfsctl" } }));
    assert.ok(allows([stored], pod, { port: 8443, protocol: "TCP" }, { ip: "10.20.3.4" }));
    assert.ok(!allows([stored], pod, { port: 8080, protocol: "TCP" }, { namespace: OPERATOR_NS }), "the old API port is closed");
  });

  it("leaves an adapter policy alone while the adapter list is unknown; enabled: false removes every policy at once", async () => {
    const server = await getServer(client, ns.name, NAME);
    // As the reference left it: owned by the same DittoServer, named like ours.
    await client.create(NETWORK_POLICIES, {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: {
        name: `${NAME}-adapter-nfs`,
        namespace: ns.name,
        ownerReferences: [{ apiVersion: server.apiVersion, kind: server.kind, name: NAME, uid: server.metadata.uid ?? "", controller: true, blockOwnerDeletion: true }],
      },
      spec: { podSelector: { matchLabels: { [LABEL_INSTANCE]: NAME } }, policyTypes: ["Ingress"], ingress: [{ ports: [{ port: 2049, protocol: "TCP" }] }] },
    } as KubeObject);
    // A pass after the policy exists (the baseline follows this edit), which must not touch the adapter policy.
    await patchSpec(NAME, { networkPolicy: { apiFrom: null } });
    await baselineInSync(NAME);
    assert.ok(await policy(`${NAME}-adapter-nfs`), "kept: the API may report NFS on that port");

    await patchSpec(NAME, { networkPolicy: { enabled: false } });
    await waitFor("every policy gone", async () => ((await client.list(NETWORK_POLICIES, { namespace: ns.name })).items.length === 0 ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    await patchSpec(NAME, { networkPolicy: { enabled: true } });
    await baselineInSync(NAME);
    assert.equal(await policy(`${NAME}-adapter-nfs`), undefined, "adapter policies come back only from an adapter list");
  });
});

describe("a real dfs behind the pod: every port it opens is allowed by the stored baseline alone", () => {
  const NAME = "npreal";

  it("API from the operator's namespace, metrics from the monitoring namespace, every other port from anywhere", async () => {
    await client.create(
      DITTOSERVERS,
      dittoServer(ns.name, NAME, {
        storage: { metadataSize: "1Gi" },
        podLabels: { [RUNNER_LABEL]: "true" },
        metrics: { enabled: true },
        networkPolicy: { monitoringNamespace: MONITORING_NS },
      }),
    );
    const pod = await waitFor(
      `pod ${NAME}-0 Ready from its readiness probe`,
      async () => {
        const p = await client.getOrUndefined(CORE.pods, { namespace: ns.name, name: `${NAME}-0` });
        const status = p?.status as { podIP?: string; conditions?: { type: string; status: string }[] } | undefined;
        return status?.podIP && status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? p : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    const containerID = (pod.status as { containerStatuses?: { containerID?: string }[] }).containerStatuses?.[0]?.containerID ?? "";
    const pid = Number(/^pod-runner:\/\/(\d+)$/.exec(containerID)?.[1]);
    assert.ok(pid > 0, `containerID names the process: ${containerID}`);
    // The adapters start after the API answers: wait until the seeded NFS and SMB listeners are up.
    const ports = await waitFor("NFS 12049 and SMB 1445 listening", () => {
      const open = listeningPorts(pid);
      return Promise.resolve(open.some((p) => p.port === 12049 && p.protocol === "TCP") && open.some((p) => p.port === 1445) ? open : undefined);
    }, { timeoutMs: 60_000, intervalMs: 250 });
    console.log(`dfs listens on: ${ports.map((p) => `${p.port}/${p.protocol}`).join(", ")}`);

    // The baseline alone, as before the operator's first adapter poll (reference defect 20); adapter policies only add.
    const policies = (await client.list(NETWORK_POLICIES, { namespace: ns.name, labelSelector: `${LABEL_INSTANCE}=${NAME}` })).items.filter(
      (p) => p.metadata.name === `${NAME}-baseline`,
    );
    assert.equal(policies.length, 1, "the baseline is stored");
    const target = { namespace: ns.name, labels: pod.metadata.labels ?? {} };
    const anywhere: Source[] = [{ namespace: "elsewhere" }, { ip: "198.51.100.1" }];
    for (const port of ports) {
      const what = `${port.port}/${port.protocol}`;
      const only: Source | undefined = port.port === 8080 ? { namespace: OPERATOR_NS } : port.port === 9090 ? { namespace: MONITORING_NS } : undefined;
      if (only) {
        assert.ok(allows(policies, target, port, only), `${what} from ${only.namespace}`);
        for (const source of anywhere) assert.ok(!allows(policies, target, port, source), `${what} closed to ${JSON.stringify(source)}`);
      } else {
        for (const source of anywhere) assert.ok(allows(policies, target, port, source), `${what} open to ${JSON.stringify(source)}`);
      }
    }
    assert.ok(ports.some((p) => p.port === 8080) && ports.some((p) => p.port === 9090), "the API and metrics listeners were among them");
  });
});
