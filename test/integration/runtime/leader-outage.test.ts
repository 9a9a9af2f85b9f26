/**
 * Leadership through an API outage longer than the renew deadline, on a private kube-apiserver that the test stops
 * and starts: the manager process stays up, stops reconciling when the lease is lost, and (its identity being the
 * pod name) takes its own lease back as soon as the API answers, without waiting out a lease duration.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { startControlPlane } from "../../controlplane/index.ts";
import type { ControlPlane } from "../../controlplane/index.ts";
import { KubeClient, loadKubeConfig } from "../../../src/runtime/client.ts";
import type { Lease } from "../../../src/runtime/leader.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { ManagerProcess } from "./manager-process.ts";
import { until } from "./support.ts";

const NS = "outage";
const LEASE_DURATION_MS = 4_000;
const LOST = "leadership lost: writes refused; stopping controllers before campaigning again";
const ACQUIRED = "successfully acquired lease";

let cp: ControlPlane;
let client: KubeClient;
let manager: ManagerProcess | undefined;

before(async () => {
  cp = await startControlPlane({ components: ["etcd", "apiserver"] });
  client = new KubeClient(loadKubeConfig(cp.kubeconfigPath), { fieldManager: "leader-outage-test" });
  await client.create(CORE.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
});

after(async () => {
  await manager?.kill();
  await client.close();
  await cp.stop();
});

async function createConfigMap(name: string): Promise<void> {
  await client.create(CORE.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: NS } });
}

describe("leader election through an API outage", () => {
  it("stays up, stops reconciling while the lease is lost, and takes its own lease back at once", async () => {
    const m = (manager = new ManagerProcess(
      [
        "--leader-elect",
        `--leader-election-namespace=${NS}`,
        "--leader-election-id=outage",
        `--namespace=${NS}`,
        "--health-probe-bind-address=127.0.0.1:0",
        "--metrics-bind-address=0",
        `--leader-elect-lease-duration=${LEASE_DURATION_MS}ms`,
        "--leader-elect-renew-deadline=3s",
        "--leader-elect-retry-period=500ms",
      ],
      { kubeconfigPath: cp.kubeconfigPath, env: { POD_NAME: "operator-0" } },
    ));
    await until("leader", () => m.has(ACQUIRED), { timeoutMs: 30_000 });
    assert.equal(m.identity(), "operator-0");
    await createConfigMap("before");
    await until("reconciled before the outage", () => m.has("reconcile-start", "before"), { timeoutMs: 30_000 });

    const stoppedAt = Date.now();
    await cp.stopApiServer();
    await until("lease lost", () => m.has(LOST), { timeoutMs: 20_000 });
    const lostAfterMs = Date.now() - stoppedAt;
    const reconcilesAtLoss = m.count("reconcile-start");
    await sleep(Math.max(0, 8_000 - (Date.now() - stoppedAt))); // an outage of 8 s: twice the lease duration
    assert.equal(m.count("reconcile-start"), reconcilesAtLoss, "no reconcile while the lease is lost");
    await cp.startApiServer();
    const backAt = Date.now();
    await until("lease taken back", () => m.count(ACQUIRED) === 2, { timeoutMs: 30_000 });
    const retakeMs = Date.now() - backAt;

    assert.equal(m.child.exitCode, null, `the process stayed up\n${m.describe()}`);
    const lease = await client.get<Lease>(CORE.leases, { namespace: NS, name: "outage" });
    assert.equal(lease.spec?.holderIdentity, "operator-0");
    assert.equal(lease.spec?.leaseTransitions, 0, "the same holder throughout");
    assert.ok(retakeMs < LEASE_DURATION_MS, `own lease taken back in ${retakeMs} ms, under a lease duration\n${m.describe()}`);

    const lostAt = m.lines.findIndex((l) => l.msg === LOST);
    const reacquiredAt = m.lines.findIndex((l, i) => i > lostAt && l.msg === ACQUIRED);
    const between = m.lines.slice(lostAt, reacquiredAt).filter((l) => l.msg === "reconcile-start");
    assert.deepEqual(between, [], "no reconcile started between losing and retaking the lease");

    await until("the existing object reconciled again in the new term", () => m.lines.slice(reacquiredAt).some((l) => l.msg === "reconcile-start" && l.name === "before"), { timeoutMs: 30_000 });
    await createConfigMap("after");
    await until("new objects reconciled", () => m.has("reconcile-start", "after"), { timeoutMs: 30_000 });
    process.stderr.write(`# lease lost ${lostAfterMs} ms after the apiserver stopped; retaken ${retakeMs} ms after it was back\n`);
  });
});
