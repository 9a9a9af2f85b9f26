/**
 * Two manager processes with leader election on a real apiserver: only the leader reconciles; killing it hands
 * leadership over once the lease expires; SIGTERM drains in-flight reconciles, releases the lease and exits 0.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestNamespace, testKubeConfigPath } from "../../controlplane/testenv.ts";
import { KubeClient, loadKubeConfig } from "../../../src/runtime/client.ts";
import type { Lease } from "../../../src/runtime/leader.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { ManagerProcess } from "./manager-process.ts";
import { until } from "./support.ts";

let ns: { name: string; delete(): Promise<void> };
let client: KubeClient;
const processes: ManagerProcess[] = [];

before(async () => {
  ns = await createTestNamespace("rt-leader");
  client = new KubeClient(loadKubeConfig(testKubeConfigPath()), { fieldManager: "leader-test" });
});

after(async () => {
  for (const p of processes) await p.kill();
  await client.close();
  await ns.delete();
});

/** Short lease timings keep the test quick; the algorithm is the same as with the 15 s / 10 s / 2 s defaults. */
function startManager(leaseId: string): ManagerProcess {
  const p = new ManagerProcess([
    "--leader-elect",
    `--leader-election-namespace=${ns.name}`,
    `--leader-election-id=${leaseId}`,
    `--namespace=${ns.name}`,
    "--health-probe-bind-address=127.0.0.1:0",
    "--metrics-bind-address=0",
    "--leader-elect-lease-duration=4s",
    "--leader-elect-renew-deadline=3s",
    "--leader-elect-retry-period=500ms",
  ]);
  processes.push(p);
  return p;
}

const readLease = (name: string): Promise<Lease | undefined> =>
  client.getOrUndefined<Lease>(CORE.leases, { namespace: ns.name, name });

async function createConfigMap(name: string, annotations: Record<string, string> = {}): Promise<void> {
  await client.create(CORE.configMaps, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: ns.name, annotations },
  });
}

describe("leader election between two managers", () => {
  it("lets only the leader reconcile and hands over when the leader is killed", async () => {
    const a = startManager("two-managers");
    const b = startManager("two-managers");
    await until("both managers started", () => a.identity() && b.identity(), { timeoutMs: 30_000 });
    const leader = await until("a leader", () => [a, b].find((p) => p.has("successfully acquired lease")), {
      timeoutMs: 30_000,
    });
    const follower = leader === a ? b : a;
    assert.equal((await readLease("two-managers"))?.spec?.holderIdentity, leader.identity());

    await createConfigMap("first");
    await until("leader reconciles first", () => leader.has("reconcile-start", "first"), { timeoutMs: 30_000 });
    await createConfigMap("second");
    await until("leader reconciles second", () => leader.has("reconcile-start", "second"), { timeoutMs: 30_000 });
    assert.equal(follower.count("reconcile-start"), 0, follower.describe());
    assert.equal(follower.has("successfully acquired lease"), false);

    const killedAt = Date.now();
    await leader.kill("SIGKILL");
    await until("follower takes over", () => follower.has("successfully acquired lease"), { timeoutMs: 30_000 });
    const handoverMs = Date.now() - killedAt;
    await until("new leader reconciles the existing objects", () => follower.has("reconcile-start", "first"), {
      timeoutMs: 30_000,
    });
    await createConfigMap("third");
    await until("new leader reconciles new objects", () => follower.has("reconcile-start", "third"), { timeoutMs: 30_000 });
    assert.equal((await readLease("two-managers"))?.spec?.holderIdentity, follower.identity());
    process.stderr.write(`# leader handover after SIGKILL took ${handoverMs} ms (lease duration 4000 ms)\n`);
  });
});

describe("graceful shutdown", () => {
  it("on SIGTERM finishes the in-flight reconcile, releases the lease and exits 0", async () => {
    const m = startManager("graceful");
    await until("leader", () => m.has("successfully acquired lease"), { timeoutMs: 30_000 });
    await createConfigMap("slow", { "test.runtime/slow-ms": "3000" });
    await until("slow reconcile started", () => m.has("reconcile-start", "slow"), { timeoutMs: 30_000 });
    assert.equal(m.has("reconcile-done", "slow"), false);

    m.child.kill("SIGTERM");
    const exit = await m.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, m.describe());
    assert.ok(m.has("reconcile-done", "slow"), "the in-flight reconcile finished before exit");
    const lease = await readLease("graceful");
    assert.equal(lease?.spec?.holderIdentity ?? "", "", `lease released\n${m.describe()}`);
    assert.equal(lease?.spec?.leaseDurationSeconds, 1);
  });
});
