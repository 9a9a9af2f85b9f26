/**
 * Adapter NetworkPolicies follow the adapter list the operator polls from a real dfs behind the pod (the pod
 * runner): one per enabled adapter on the ports the server reports; NFS moved with dfsctl → its policy follows within
 * a poll; SMB disabled → its policy goes; and every port the process then listens on is allowed by the stored policies.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DITTOSERVERS, NETWORK_POLICIES } from "../../../src/dittoserver/kinds.ts";
import { LABEL_INSTANCE } from "../../../src/dittoserver/labels.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { RUNNER_LABEL } from "../../controlplane/index.ts";
import { allocatePorts } from "../../controlplane/ports.ts";
import { createTestNamespace, waitFor } from "../../controlplane/testenv.ts";
import { listeningPorts } from "../../contract/listening-sockets.ts";
import { allows } from "../../contract/network-policy-check.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, deleteAllServers, dittoServer, installCrd, startOperator, TEST_OPTIONS } from "./support.ts";
import { privateDfsctl } from "./dfsctl.ts";
import type { Dfsctl } from "./dfsctl.ts";

const NAME = "npapi";
const OPERATOR_NS = "dittofs-system";
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;
let dfsctl: Dfsctl;

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-netpol-api");
  dfsctl = await privateDfsctl();
  operator = await startOperator(ns.name, { ...TEST_OPTIONS, operatorNamespace: OPERATOR_NS, deletionPodTimeoutMs: 120_000 });
});

after(async () => {
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await ns.delete();
  await client.close();
  await dfsctl.remove();
});

type PolicyPorts = { port: number; protocol: string }[];
const portsOf = (policy: KubeObject | undefined): string[] =>
  ((policy?.spec as { ingress?: { ports?: PolicyPorts }[] } | undefined)?.ingress?.[0]?.ports ?? []).map((p) => `${p.port}/${p.protocol}`);

const policies = async (): Promise<KubeObject[]> => (await client.list(NETWORK_POLICIES, { namespace: ns.name, labelSelector: `${LABEL_INSTANCE}=${NAME}` })).items;

/** Waits until the adapter policies (by name → ports) are exactly `want`. */
async function adapterPolicies(what: string, want: Record<string, string[]>): Promise<KubeObject[]> {
  return waitFor(what, async () => {
    const all = await policies();
    const adapters = Object.fromEntries(all.filter((p) => p.metadata.name !== `${NAME}-baseline`).map((p) => [p.metadata.name ?? "", portsOf(p)]));
    assert.deepEqual(adapters, want);
    return all;
  }, { timeoutMs: 60_000, intervalMs: 500 });
}

describe("adapter NetworkPolicies follow the adapter list polled from a real dfs", { concurrency: false }, () => {
  it("one per enabled adapter; NFS moved → its policy follows; SMB disabled → its policy goes; every open port allowed", async () => {
    await client.create(DITTOSERVERS, dittoServer(ns.name, NAME, { storage: { metadataSize: "1Gi" }, podLabels: { [RUNNER_LABEL]: "true" }, adapterDiscovery: { pollingInterval: "5s" } }));
    await adapterPolicies("policies of the seeded adapters", {
      [`${NAME}-adapter-nfs`]: ["12049/TCP", "12049/UDP", "5353/UDP"],
      [`${NAME}-adapter-smb`]: ["1445/TCP", "5353/UDP", "3702/UDP", "5357/TCP"],
    });

    const pod = await client.get(CORE.pods, { namespace: ns.name, name: `${NAME}-0` });
    const status = pod.status as { podIP: string; containerStatuses?: { containerID?: string }[] };
    const secret = await client.get(CORE.secrets, { namespace: ns.name, name: `${NAME}-admin-bootstrap-credentials` });
    const password = Buffer.from((secret.data as Record<string, string>).password ?? "", "base64").toString("utf8");
    await dfsctl.run(["login", "--server", `http://${status.podIP}:8080`, "--username", "admin", "--password", password]);

    const lease = await allocatePorts(1);
    const moved = lease.ports[0]!;
    lease.release(); // the port is bound inside the pod's own network namespace, not on this machine
    await dfsctl.run(["adapter", "edit", "nfs", "--port", String(moved)]);
    await dfsctl.run(["adapter", "disable", "smb"]);
    const stored = await adapterPolicies(`NFS on ${moved}, SMB gone`, { [`${NAME}-adapter-nfs`]: [`${moved}/TCP`, `${moved}/UDP`, "5353/UDP"] });

    const pid = Number(/^pod-runner:\/\/(\d+)$/.exec(status.containerStatuses?.[0]?.containerID ?? "")?.[1]);
    const open = await waitFor(`dfs listening on ${moved}`, () => {
      const ports = listeningPorts(pid);
      return Promise.resolve(ports.some((p) => p.port === moved) ? ports : undefined);
    }, { timeoutMs: 30_000, intervalMs: 250 });
    const target = { namespace: ns.name, labels: pod.metadata.labels ?? {} };
    for (const port of open) {
      const source = port.port === 8080 ? { namespace: OPERATOR_NS } : { namespace: "elsewhere" };
      assert.ok(allows(stored, target, port, source), `${port.port}/${port.protocol} from ${source.namespace} (open: ${JSON.stringify(open)})`);
    }
    assert.ok(!allows(stored.filter((p) => p.metadata.name === `${NAME}-baseline`), target, { port: moved, protocol: "TCP" }, { namespace: "elsewhere" }), "the baseline alone does not open the moved port");
  });
});
