/**
 * Switching from the reference operator without losing data. The cluster starts as the reference left it
 * (test/fixtures/reference-objects-v0.29.0.yaml, server `full`: its DittoServer, StatefulSet, Services, ConfigMap,
 * Secrets, NetworkPolicy and PVCs), with a real `dfs` behind the reference's pod (its own config, mounts and env).
 * Stores on the reference's volume paths, a share and a user are created through the server; then our operator
 * starts on the same objects. Afterwards the same server answers: same stores, share and user, a token signed before
 * the switch still accepted (the JWT Secret was kept), the admin password unchanged, every PVC UID unchanged, and
 * the DittoServer Ready. The operator is the binary running as its own ServiceAccount with the shipped ClusterRole,
 * so the test also shows that the role allows every request of the switch.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { DITTOSERVERS, NETWORK_POLICIES } from "../../../src/dittoserver/kinds.ts";
import { selectorLabels } from "../../../src/dittoserver/labels.ts";
import { KubeClient, loadKubeConfig } from "../../../src/runtime/client.ts";
import type { Condition, KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import type { ResourceType } from "../../../src/runtime/resources.ts";
import { RUNNER_LABEL } from "../../controlplane/index.ts";
import { createTestNamespace, testKubeConfigPath, waitFor } from "../../controlplane/testenv.ts";
import type { OperatorAsServiceAccount } from "../deploy/rbac-support.ts";
import { assertNothingRefused, assertRequested, auditEventsOf, startOperatorAsServiceAccount, withOperatorLog } from "../deploy/rbac-support.ts";
import { privateDfsctl } from "./dfsctl.ts";
import type { Dfsctl } from "./dfsctl.ts";
import { recordReasons } from "./reasons-seen.ts";
import type { ReasonRecorder } from "./reasons-seen.ts";
import { adminClient, deleteAllServers, eventsFor, installCrd, waitForCondition } from "./support.ts";

const NAME = "full";
const POD = `${NAME}-0`;
const client = adminClient();
/** The reference's objects were written by controller-runtime's default field manager; SSA must cope with that. */
const reference = new KubeClient(loadKubeConfig(testKubeConfigPath()), { fieldManager: "manager" });
let ns: { name: string; delete(): Promise<void> };
let operator: OperatorAsServiceAccount | undefined;
let reasons: ReasonRecorder | undefined;
let dfsctl: Dfsctl;

type Json = Record<string, unknown>;

const BY_KIND: Record<string, ResourceType> = {
  Secret: CORE.secrets,
  ConfigMap: CORE.configMaps,
  Service: CORE.services,
  NetworkPolicy: NETWORK_POLICIES,
  PersistentVolumeClaim: { group: "", version: "v1", plural: "persistentvolumeclaims", kind: "PersistentVolumeClaim", namespaced: true },
  StatefulSet: CORE.statefulSets,
};

/** The `full` server's objects of the fixture, in creation order (what the reference made; no Pod, no Events). */
async function referenceObjects(): Promise<{ server: KubeObject; children: KubeObject[] }> {
  const list = parse(await readFile(new URL("../../fixtures/reference-objects-v0.29.0.yaml", import.meta.url), "utf8")) as { items: KubeObject[] };
  const mine = (o: KubeObject): boolean => {
    const name = o.metadata.name ?? "";
    return name === NAME || name.startsWith(`${NAME}-`) || name.endsWith(`-${NAME}-0`);
  };
  const items = list.items.filter(mine);
  const server = items.find((o) => o.kind === "DittoServer");
  assert.ok(server, "the fixture has DittoServer full");
  const order = Object.keys(BY_KIND);
  const children = items.filter((o) => o.kind in BY_KIND).sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  return { server, children };
}

/** A fixture object as a create request in the test namespace: server-assigned fields out, the owner's UID in. */
function forCreate(obj: KubeObject, ownerUid: string): KubeObject {
  const out = structuredClone(obj) as KubeObject & Json;
  const meta = out.metadata as Json;
  delete meta.uid;
  meta.namespace = ns.name;
  for (const ref of out.metadata.ownerReferences ?? []) ref.uid = ownerUid;
  delete out.status;
  if (out.kind === "Service") {
    const spec = out.spec as Json;
    if (spec.clusterIP !== "None") {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
  }
  if (out.kind === "PersistentVolumeClaim") delete meta.annotations; // binding annotations: the PV controller's
  if (out.kind === "StatefulSet") {
    const template = (out.spec as { template: { metadata: { labels: Json } } }).template;
    template.metadata.labels[RUNNER_LABEL] = "true"; // not in the selector: the pod runner's opt-in only
  }
  return out;
}

function http(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (payload) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    const req = request(url, { method, timeout: 5000, agent: false, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => { resolve({ status: res.statusCode ?? 0, body: text }); });
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: no answer in time`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** The pod `full-0` once Ready (its readiness probe passed against the real process); `notUid`: a later pod. */
async function readyPod(notUid?: string): Promise<KubeObject & { status: { podIP: string } }> {
  return waitFor(
    `pod ${POD} Ready${notUid ? " (a new one)" : ""}`,
    async () => {
      const p = await client.getOrUndefined<KubeObject & { status?: { podIP?: string; conditions?: { type: string; status: string }[] } }>(CORE.pods, { namespace: ns.name, name: POD });
      if (!p || p.metadata.uid === notUid || p.metadata.deletionTimestamp) return undefined;
      const ready = p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
      return ready && p.status?.podIP ? (p as KubeObject & { status: { podIP: string } }) : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 250 },
  );
}

async function secretData(name: string): Promise<Record<string, string>> {
  return (await client.get(CORE.secrets, { namespace: ns.name, name })).data as Record<string, string>;
}

async function pvcUids(): Promise<Record<string, string>> {
  const list = await client.list(BY_KIND.PersistentVolumeClaim!, { namespace: ns.name });
  return Object.fromEntries(list.items.map((p) => [p.metadata.name ?? "", p.metadata.uid ?? ""]));
}

async function readiness(podIP: string): Promise<{ shares: number; metadata_stores: number }> {
  const res = await http("GET", `http://${podIP}:8080/health/ready`);
  assert.equal(res.status, 200, res.body);
  return (JSON.parse(res.body) as { data: { shares: number; metadata_stores: number } }).data;
}

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-switch");
  dfsctl = await privateDfsctl();
});

after(async () => {
  if (operator) {
    await deleteAllServers(client, ns.name).catch(() => undefined);
    await operator.stop();
  }
  await reasons?.stop();
  await ns.delete();
  await Promise.all([client.close(), reference.close()]);
  await dfsctl.remove();
});

describe("switching from the reference operator", { concurrency: false }, () => {
  const before: { pvcs: Record<string, string>; jwt: Record<string, string>; admin: Record<string, string>; token: string; podUid: string; snapshot: string; conditions: Condition[] } = {
    conditions: [],
    pvcs: {},
    jwt: {},
    admin: {},
    token: "",
    podUid: "",
    snapshot: "",
  };
  let password = "";

  it("starts from the reference's objects, with a real dfs behind its pod, and writes through that server", async () => {
    const { server, children } = await referenceObjects();
    // The dump's timestamps are placeholders; a condition needs a real one.
    const fixtureStatus = structuredClone(server.status) as { conditions: Condition[] };
    for (const c of fixtureStatus.conditions) c.lastTransitionTime = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace(".000", "");
    before.conditions = fixtureStatus.conditions;
    const spec = server.spec as Json;
    spec.podLabels = { [RUNNER_LABEL]: "true" };
    const created = await reference.create(DITTOSERVERS, forCreate(server, ""));
    await reference.patchStatus(DITTOSERVERS, { namespace: ns.name, name: NAME }, { status: fixtureStatus });
    for (const child of children) await reference.create(BY_KIND[child.kind]!, forCreate(child, created.metadata.uid ?? ""));

    const pod = await readyPod();
    before.podUid = pod.metadata.uid ?? "";
    assert.equal(pod.metadata.labels?.app, "dittofs-server", "the reference's StatefulSet made this pod");
    password = Buffer.from((await secretData(`${NAME}-admin-bootstrap-credentials`)).password!, "base64").toString("utf8");
    const url = `http://${pod.status.podIP}:8080`;
    await dfsctl.run(["login", "--server", url, "--username", "admin", "--password", password]);
    await dfsctl.run(["store", "metadata", "add", "--name", "meta", "--type", "badger", "--db-path", "/data/store/metadata/meta"]);
    await dfsctl.run(["store", "block", "local", "add", "--name", "blocks", "--type", "fs", "--path", "/data/store/block/blocks"]);
    await dfsctl.run(["share", "create", "--name", "/export", "--metadata", "meta", "--local", "blocks"]);
    await dfsctl.run(["user", "create", "--username", "alice", "--password", "alice-password-1", "--role", "user"]);
    // A snapshot: its artifacts (metadata dump, hashes) are files in the block store, on the content volume.
    const snapshot = /Snapshot ([0-9a-f-]{36}) -> ready/.exec(await dfsctl.run(["share", "snapshot", "create", "/export", "--name", "before-switch"]));
    assert.ok(snapshot, "the snapshot was taken");
    before.snapshot = snapshot[1]!;
    const served = await readiness(pod.status.podIP);
    assert.deepEqual([served.shares, served.metadata_stores], [1, 1], "the reference's server loaded the share and its store");
    const login = await http("POST", `${url}/api/v1/auth/login`, { username: "alice", password: "alice-password-1" });
    assert.equal(login.status, 200, login.body);
    before.token = (JSON.parse(login.body) as { access_token: string }).access_token;
    before.pvcs = await pvcUids();
    assert.deepEqual(Object.keys(before.pvcs).sort(), [`content-${NAME}-0`, `controlplane-${NAME}-0`, `metadata-${NAME}-0`]);
    before.jwt = await secretData(`${NAME}-jwt-secret`);
    before.admin = await secretData(`${NAME}-admin-bootstrap-credentials`);
  });

  it("our operator replaces the StatefulSet (orphan delete, same claims) and the server comes back Ready", async () => {
    // The reference's own conditions (from the fixture) are not reasons of ours.
    reasons = await recordReasons(client, ns.name, before.conditions);
    // The drain of the finalizer must outlast the real server's (preStop 5 s plus its own shutdown).
    const running = await startOperatorAsServiceAccount(ns.name, ["--deletion-pod-timeout=120s"]);
    operator = running;
    const fresh = await withOperatorLog(running, readyPod(before.podUid));
    const sts = await client.get(CORE.statefulSets, { namespace: ns.name, name: NAME });
    const owner = await client.get(DITTOSERVERS, { namespace: ns.name, name: NAME });
    assert.deepEqual((sts.spec as { selector: { matchLabels: Json } }).selector.matchLabels, selectorLabels(owner));
    assert.equal(owner.metadata.annotations?.["dittofs.dittofs.com/volume-layout"], "reference");
    assert.equal(owner.metadata.annotations?.["dittofs.dittofs.com/auth-retry-count"], undefined, "the reference's auth counter is dropped");
    await withOperatorLog(running, waitForCondition(client, ns.name, NAME, "Ready", "True", undefined, 120_000));
    const events = await eventsFor(client, ns.name, NAME);
    assert.deepEqual(events.filter((e) => e.reason === "StatefulSetReplaced").map((e) => e.type), ["Normal"]);
    assert.ok(fresh.metadata.labels?.["app.kubernetes.io/managed-by"] === "dittofs-operator", "the new pod is ours");
  });

  it("keeps every claim, the Secrets and the server's data, identity and database", async () => {
    assert.deepEqual(await pvcUids(), before.pvcs, "every PVC is the same object: none deleted or recreated");
    assert.deepEqual(await secretData(`${NAME}-jwt-secret`), before.jwt);
    assert.deepEqual(await secretData(`${NAME}-admin-bootstrap-credentials`), before.admin);
    const pod = await readyPod();
    const url = `http://${pod.status.podIP}:8080`;
    const me = await http("GET", `${url}/api/v1/auth/me`, undefined, before.token);
    assert.equal(me.status, 200, `a token signed before the switch is accepted: the JWT key survived (${me.body})`);
    await dfsctl.run(["login", "--server", url, "--username", "admin", "--password", password]);
    assert.match(await dfsctl.run(["store", "metadata", "list"]), /meta/);
    assert.match(await dfsctl.run(["share", "list"]), /\/export/);
    assert.match(await dfsctl.run(["user", "list"]), /alice/);
    // Restoring reads the snapshot's artifacts back from the block store: they are where the reference's server
    // wrote them (dfs answers "snapshot artifacts missing" when the block store's directory lacks them).
    await dfsctl.run(["share", "disable", "/export"]);
    assert.match(await dfsctl.run(["share", "snapshot", "restore", "/export", before.snapshot, "--yes", "--force"]), new RegExp(`Restored snapshot ${before.snapshot}`));
    await dfsctl.run(["share", "enable", "/export"]);
    const ready = await readiness(pod.status.podIP);
    assert.equal(ready.shares, 1, "the share is loaded: its badger store opened from the claim at /data/store/metadata");
    assert.equal(ready.metadata_stores, 1);
  });

  it("leaves nothing of the reference that would fight ours: Service selectors, NetworkPolicies", async () => {
    const owner = await client.get(DITTOSERVERS, { namespace: ns.name, name: NAME });
    for (const name of [`${NAME}-headless`, `${NAME}-api`, `${NAME}-metrics`]) {
      const svc = await client.get(CORE.services, { namespace: ns.name, name });
      assert.deepEqual((svc.spec as { selector: Json }).selector, selectorLabels(owner), `${name} selects our pod only`);
      assert.equal(svc.metadata.labels?.app, undefined, `${name}: the reference's labels are gone`);
    }
    const policy = await client.getOrUndefined(NETWORK_POLICIES, { namespace: ns.name, name: `${NAME}-baseline` });
    assert.ok(!policy || policy.metadata.labels?.["dittofs.io/baseline-networkpolicy"] === undefined, "the reference's baseline NetworkPolicy is gone");
  });

  it("needs nothing the shipped ClusterRole does not grant", () => {
    assert.ok(operator);
    const events = auditEventsOf(operator.username);
    assertNothingRefused(events, operator.log());
    for (const [verb, resource] of [["patch", "dittoservers"], ["get", "pods"], ["delete", "pods"], ["delete", "statefulsets"], ["get", "networkpolicies"], ["delete", "networkpolicies"], ["patch", "services"]] as const) {
      assertRequested(events, verb, resource);
    }
  });
});
