/**
 * What the real dfs behind the DittoServer pod (the pod runner) says about its adapters and snapshot policies,
 * turned into Kubernetes objects by the operator: `<name>-file` handed over to one Service per adapter, adapter
 * changes made with dfsctl followed within one poll and without a pod roll, and `spec.snapshotPolicies` applied,
 * kept against drift, reported when a share is missing and removed from the server when they leave the spec.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DittoServer } from "../../../src/api/types.ts";
import { DITTOSERVERS } from "../../../src/dittoserver/kinds.ts";
import { fileService } from "../../../src/dittoserver/services.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { RUNNER_LABEL } from "../../controlplane/index.ts";
import { createTestNamespace, waitFor } from "../../controlplane/testenv.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, condition, deleteAllServers, dittoServer, eventsFor, getServer, installCrd, startOperator, TEST_OPTIONS, waitForCondition, waitForEvent } from "./support.ts";
import { privateDfsctl } from "./dfsctl.ts";
import type { Dfsctl } from "./dfsctl.ts";

const NAME = "adapters";
const POD = `${NAME}-0`;
/** The server's poll interval: the CRD's minimum, so changes show within seconds. */
const POLL_MS = 5_000;
/** One poll interval, plus a pass and the watch that shows its result (the machine is shared and loaded). */
const ONE_POLL_MS = POLL_MS + 5_000;
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;
let dfsctl: Dfsctl;

interface PodView extends KubeObject {
  status?: { podIP?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { restartCount: number }[] };
}
interface ServiceView extends KubeObject {
  spec?: { ports?: { name: string; port: number; targetPort: number | string; protocol: string }[] };
}

const service = (name: string): Promise<ServiceView | undefined> => client.getOrUndefined<ServiceView>(CORE.services, { namespace: ns.name, name });
const ports = (svc: ServiceView | undefined): string[] => (svc?.spec?.ports ?? []).map((p) => `${p.name}:${p.port}->${String(p.targetPort)}/${p.protocol}`);

/** What a roll would change: the pod's UID and restarts, the StatefulSet's generation. */
async function podIdentity(): Promise<string> {
  const p = await client.get<PodView>(CORE.pods, { namespace: ns.name, name: POD });
  const sts = await client.get(CORE.statefulSets, { namespace: ns.name, name: NAME });
  return `pod ${p.metadata.uid ?? ""} restarts ${p.status?.containerStatuses?.[0]?.restartCount ?? -1} sts generation ${sts.metadata.generation ?? -1}`;
}

async function setPolicies(policies: Record<string, unknown>[] | null): Promise<void> {
  await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: NAME }, { spec: { snapshotPolicies: policies } });
}

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-adapter-services");
  dfsctl = await privateDfsctl();
  operator = await startOperator(ns.name, { ...TEST_OPTIONS, deletionPodTimeoutMs: 120_000 });
});

after(async () => {
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await ns.delete();
  await client.close();
  await dfsctl.remove();
});

describe("adapter Services and snapshot policies from a real dfs", { concurrency: false }, () => {
  let identity = "";

  it("hands <name>-file over to one Service per adapter once the API has answered, with one FileServiceRetired", async () => {
    // A policy from the start: pending until the API answers, then for a share that does not exist yet.
    const spec = {
      storage: { metadataSize: "1Gi" },
      podLabels: { [RUNNER_LABEL]: "true" },
      adapterDiscovery: { pollingInterval: "5s" },
      adapterServices: { type: "ClusterIP" },
      snapshotPolicies: [{ share: "/export", interval: "1h" }],
    };
    const created = await client.create<DittoServer>(DITTOSERVERS, dittoServer(ns.name, NAME, spec));
    // What earlier versions of the operator made, owned by the DittoServer; the API has not answered yet (no pod).
    await client.create(CORE.services, fileService(created));

    await waitFor("adapter Services in place of <name>-file", async () => {
      const [nfs, smb, file] = await Promise.all([service(`${NAME}-adapter-nfs`), service(`${NAME}-adapter-smb`), service(`${NAME}-file`)]);
      return nfs && smb && !file ? true : undefined;
    }, { timeoutMs: 120_000, intervalMs: 250 });
    assert.deepEqual(ports(await service(`${NAME}-adapter-nfs`)), ["adapter-nfs:12049->12049/TCP", "adapter-nfs-udp:12049->12049/UDP", "mdns:5353->5353/UDP"]);
    assert.deepEqual(ports(await service(`${NAME}-adapter-smb`)), ["adapter-smb:1445->1445/TCP", "mdns:5353->5353/UDP", "wsd:3702->3702/UDP", "wsd-meta:5357->5357/TCP"]);
    const retired = await waitForEvent(client, ns.name, NAME, "FileServiceRetired");
    assert.equal(retired.type, "Normal");
    assert.equal(retired.note, `deleted Service ${NAME}-file: replaced by Service ${NAME}-adapter-nfs, ${NAME}-adapter-smb`);

    const ready = await waitForCondition(client, ns.name, NAME, "Ready", "True", "ServerReady", 60_000);
    assert.equal(ready.status?.nfsEndpoint, `${NAME}-adapter-nfs.${ns.name}.svc.cluster.local:12049`);
    assert.equal((await eventsFor(client, ns.name, NAME)).filter((e) => e.reason === "FileServiceRetired").length, 1);
    const missing = await waitForCondition(client, ns.name, NAME, "SnapshotPoliciesReady", "False", "ShareNotFound", ONE_POLL_MS);
    assert.match(condition(missing.status, "SnapshotPoliciesReady")?.message ?? "", /share \/export/);
    assert.ok(operator.reasons.conditions(NAME).has("SnapshotPoliciesReady/SnapshotPolicyPending"), "pending before the API answered");
    assert.equal((await waitForEvent(client, ns.name, NAME, "SnapshotPolicyFailed")).type, "Warning");
    identity = await podIdentity();
  });

  it("SMB disabled with dfsctl: its Service goes within one poll, the server stays Ready, the pod is not rolled", async () => {
    const { status } = await client.get<PodView>(CORE.pods, { namespace: ns.name, name: POD });
    const admin = await client.get(CORE.secrets, { namespace: ns.name, name: `${NAME}-admin-bootstrap-credentials` });
    const password = Buffer.from((admin.data as Record<string, string>).password ?? "", "base64").toString("utf8");
    await dfsctl.run(["login", "--server", `http://${status?.podIP ?? ""}:8080`, "--username", "admin", "--password", password]);

    await dfsctl.run(["adapter", "disable", "smb"]);
    const started = Date.now();
    await waitFor("SMB Service deleted", async () => ((await service(`${NAME}-adapter-smb`)) ? undefined : true), { timeoutMs: ONE_POLL_MS, intervalMs: 200 });
    console.log(`SMB disabled → Service gone in ${((Date.now() - started) / 1000).toFixed(1)} s (poll interval ${POLL_MS / 1000} s)`);
    assert.ok(await service(`${NAME}-adapter-nfs`), "the NFS Service stays");
    // The pass deletes the Service before it writes the status: wait for that write, then read it.
    const server = await waitFor("status.adapters with SMB disabled", async () => {
      const s = await getServer(client, ns.name, NAME);
      return s.status?.adapters?.some((a) => a.type === "smb" && !a.enabled) ? s : undefined;
    }, { timeoutMs: ONE_POLL_MS, intervalMs: 200 });
    assert.deepEqual(server.status?.adapters?.map((a) => `${a.type}:${a.enabled}`), ["nfs:true", "smb:false"]);
    assert.equal(condition(server.status, "Ready")?.reason, "ServerReady", "a disabled adapter does not make the server unready");
    assert.equal(await podIdentity(), identity, "an adapter change never rolls the pod");
  });

  it("NFS moved with dfsctl: its Service port and status.nfsEndpoint follow within one poll, the pod is not rolled", async () => {
    await dfsctl.run(["adapter", "edit", "nfs", "--port", "12050"]);
    const started = Date.now();
    await waitFor("NFS Service on 12050", async () => (ports(await service(`${NAME}-adapter-nfs`))[0] === "adapter-nfs:12050->12050/TCP" ? true : undefined), {
      timeoutMs: ONE_POLL_MS,
      intervalMs: 200,
    });
    console.log(`NFS moved → Service port followed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const server = await waitFor("nfsEndpoint on 12050", async () => {
      const s = await getServer(client, ns.name, NAME);
      return s.status?.nfsEndpoint?.endsWith(":12050") ? s : undefined;
    }, { timeoutMs: ONE_POLL_MS, intervalMs: 200 });
    assert.equal(server.status?.nfsEndpoint, `${NAME}-adapter-nfs.${ns.name}.svc.cluster.local:12050`);
    await waitForCondition(client, ns.name, NAME, "Ready", "True", "ServerReady", ONE_POLL_MS);
    assert.equal(await podIdentity(), identity);
  });

  it("portmapper enabled with dfsctl: the NFS Service gains 111 → the portmapper port (TCP and UDP) within one poll, the pod is not rolled", async () => {
    await dfsctl.run(["adapter", "settings", "nfs", "update", "--portmapper-enabled", "--portmapper-port", "10111"]);
    const started = Date.now();
    const nfs = await waitFor("portmap ports on the NFS Service", async () => {
      const p = ports(await service(`${NAME}-adapter-nfs`));
      return p.includes("portmap:111->10111/TCP") ? p : undefined;
    }, { timeoutMs: ONE_POLL_MS, intervalMs: 200 });
    console.log(`portmapper on → Service followed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.deepEqual(nfs, ["adapter-nfs:12050->12050/TCP", "adapter-nfs-udp:12050->12050/UDP", "portmap:111->10111/TCP", "portmap-udp:111->10111/UDP", "mdns:5353->5353/UDP"]);
    assert.equal(await podIdentity(), identity, "a settings change never rolls the pod");
  });

  it("a snapshot policy: applied once its share exists and visible in dfsctl, drift reverted, a missing share named, removed with the spec", async () => {
    await dfsctl.run(["store", "metadata", "add", "--name", "meta", "--type", "memory"]);
    await dfsctl.run(["store", "block", "local", "add", "--name", "local", "--type", "memory"]);
    await dfsctl.run(["share", "create", "--name", "/export", "--metadata", "meta", "--local", "local"]);
    const show = () => dfsctl.run(["share", "snapshot-policy", "show", "/export", "-o", "json"]);

    // A changed policy is tried at once (not after the missing share's back-off).
    await setPolicies([{ share: "/export", interval: "@daily", keepLast: 7 }]);
    const applied = await waitForCondition(client, ns.name, NAME, "SnapshotPoliciesReady", "True", "SnapshotPoliciesApplied", ONE_POLL_MS);
    assert.deepEqual(applied.status?.snapshotPolicies, [{ share: "/export", state: "Applied" }]);
    const shown = JSON.parse(await show()) as { interval?: string; keep_last?: number };
    assert.deepEqual([shown.interval, shown.keep_last], ["24h0m0s", 7], "dfsctl sees the policy");

    await dfsctl.run(["share", "snapshot-policy", "set", "/export", "--interval", "1h", "--keep-last", "2"]);
    await waitFor("drift reverted", async () => ((JSON.parse(await show()) as { interval?: string }).interval === "24h0m0s" ? true : undefined), {
      timeoutMs: ONE_POLL_MS,
      intervalMs: 500,
    });

    await setPolicies([{ share: "/export", interval: "@daily", keepLast: 7 }, { share: "/missing", interval: "1h" }]);
    const missing = await waitForCondition(client, ns.name, NAME, "SnapshotPoliciesReady", "False", "ShareNotFound", ONE_POLL_MS);
    assert.match(condition(missing.status, "SnapshotPoliciesReady")?.message ?? "", /share \/missing/);
    assert.equal(missing.status?.snapshotPolicies?.find((e) => e.share === "/missing")?.state, "ShareNotFound");
    assert.equal(condition(missing.status, "Ready")?.status, "True", "a missing share does not stop the server from serving");
    // Events follow the status write: wait for the second one.
    const failures = await waitFor("a second SnapshotPolicyFailed", async () => {
      const found = (await eventsFor(client, ns.name, NAME)).filter((e) => e.reason === "SnapshotPolicyFailed");
      return found.length >= 2 ? found : undefined;
    }, { timeoutMs: 15_000, intervalMs: 250 });
    assert.equal(failures.length, 2, "one Warning per transition: /export missing at first, /missing now");
    assert.match(failures.map((e) => e.note).join("\n"), /share \/missing/);

    await setPolicies(null);
    await waitFor("policy removed from the server", async () => ((await show().then(() => false, () => true)) ? true : undefined), { timeoutMs: ONE_POLL_MS, intervalMs: 500 });
    const cleared = await waitFor("record and condition cleared", async () => {
      const s = await getServer(client, ns.name, NAME);
      return s.status?.snapshotPolicies === undefined && !condition(s.status, "SnapshotPoliciesReady") ? s : undefined;
    }, { timeoutMs: ONE_POLL_MS, intervalMs: 200 });
    assert.equal(condition(cleared.status, "Ready")?.status, "True");
    assert.equal(await podIdentity(), identity, "snapshot policies never roll the pod");
  });
});
