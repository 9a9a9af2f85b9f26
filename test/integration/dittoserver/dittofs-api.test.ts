/**
 * The operator drives the real dfs behind the DittoServer pod (the pod runner) through its REST API: it provisions
 * its own account and keeps it in `<name>-operator-credentials`, reports `Authenticated`, lists the adapters as the
 * server reports them, and says Ready only while every enabled adapter serves. A pass in sync writes nothing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DittoFsClient } from "../../../src/dittofs/client.ts";
import type { Adapter } from "../../../src/dittofs/wire.ts";
import { DITTOSERVERS } from "../../../src/dittoserver/kinds.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { RUNNER_LABEL } from "../../controlplane/index.ts";
import { createTestNamespace, waitFor } from "../../controlplane/testenv.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, condition, deleteAllServers, dittoServer, eventsFor, getServer, installCrd, startOperator, TEST_OPTIONS, waitForCondition } from "./support.ts";

const NAME = "api";
const POD = `${NAME}-0`;
const API_PORT = 8080;
/** The poll interval of the test's server: the CRD's minimum, so adapter changes show within seconds. */
const POLL_MS = 5_000;
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;

async function secretData(name: string): Promise<Record<string, string>> {
  const secret = await client.get(CORE.secrets, { namespace: ns.name, name });
  return Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

async function readyPodIP(): Promise<string> {
  return waitFor(
    `pod ${POD} Ready`,
    async () => {
      const p = await client.getOrUndefined<KubeObject & { status?: { podIP?: string; conditions?: { type: string; status: string }[] } }>(CORE.pods, { namespace: ns.name, name: POD });
      const ready = p?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
      return ready && p?.status?.podIP ? p.status.podIP : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
}

/** The server's own answer, as admin (the bootstrap password the operator generated). */
async function asAdmin<T>(podIP: string, use: (api: DittoFsClient, token: string) => Promise<T>): Promise<T> {
  const api = new DittoFsClient({ podIP, port: API_PORT });
  try {
    const session = await api.login("admin", (await secretData(`${NAME}-admin-bootstrap-credentials`)).password ?? "");
    return await use(api, session.accessToken);
  } finally {
    api.close();
  }
}

/** Moves an adapter to another port (admin `PUT /adapters/{type}`: the client has no such call, the operator never makes it). */
async function moveAdapter(podIP: string, type: string, port: number): Promise<void> {
  await asAdmin(podIP, async (_api, token) => {
    const res = await fetch(`http://${podIP}:${API_PORT}/api/v1/adapters/${type}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ port }),
    });
    assert.equal(res.status, 200, await res.text());
  });
}

const summary = (adapters: readonly Pick<Adapter, "type" | "port" | "enabled" | "running">[]) => adapters.map((a) => `${a.type}:${a.port}:${a.enabled}:${a.running}`).sort();

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-dittofs-api");
  operator = await startOperator(ns.name, { ...TEST_OPTIONS, deletionPodTimeoutMs: 120_000 });
});

after(async () => {
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await ns.delete();
  await client.close();
});

describe("the DittoFS API pass against a real dfs", { concurrency: false }, () => {
  let podIP = "";

  it("provisions its account: the credentials Secret logs in, Authenticated=True, status.adapters as the server reports them, Ready", async () => {
    await client.create(DITTOSERVERS, dittoServer(ns.name, NAME, { storage: { metadataSize: "1Gi" }, podLabels: { [RUNNER_LABEL]: "true" }, adapterDiscovery: { pollingInterval: "5s" } }));
    podIP = await readyPodIP();
    const server = await waitForCondition(client, ns.name, NAME, "Authenticated", "True", "AuthenticationSucceeded", 60_000);
    assert.match(condition(server.status, "Authenticated")?.message ?? "", new RegExp(`${podIP.replaceAll(".", "\\.")}:${API_PORT} as k8s-operator`));

    const account = await secretData(`${NAME}-operator-credentials`);
    assert.equal(account.username, "k8s-operator");
    const login = new DittoFsClient({ podIP, port: API_PORT });
    try {
      const session = await login.login(account.username ?? "", account.password ?? "");
      assert.equal(session.user.role, "admin", "the account can read NFS settings and snapshot policies");
      assert.equal(session.user.mustChangePassword, false, "the must-change gate was cleared");
    } finally {
      login.close();
    }
    const secretText = JSON.stringify(server.status);
    for (const key of ["password", "access-token", "refresh-token"]) {
      assert.ok(account[key], `the Secret holds ${key}`);
      assert.ok(!secretText.includes(account[key] ?? ""), `no ${key} in the status`);
    }

    const ready = await waitForCondition(client, ns.name, NAME, "Ready", "True", "ServerReady", 60_000);
    const reported = await asAdmin(podIP, (api, token) => api.listAdapters(token));
    assert.deepEqual(summary(ready.status?.adapters ?? []), summary(reported));
    assert.deepEqual(summary(reported), ["nfs:12049:true:true", "smb:1445:true:true"], "the server's seeded adapters");
    assert.match(condition(ready.status, "Ready")?.message ?? "", /serving: nfs on 12049, smb on 1445/);
    const events = await eventsFor(client, ns.name, NAME);
    assert.equal(events.filter((e) => e.reason === "AccountProvisioned").length, 1, JSON.stringify(events));
  });

  it("a pass in sync writes nothing: two polls, no Kubernetes write, the credentials Secret untouched", async () => {
    const secretBefore = await client.get(CORE.secrets, { namespace: ns.name, name: `${NAME}-operator-credentials` });
    const statusBefore = (await getServer(client, ns.name, NAME)).metadata.resourceVersion;
    const writesBefore = await operator.writes();
    await new Promise((resolve) => setTimeout(resolve, 2 * POLL_MS + 1_000)); // the window observed, not a wait for a condition
    assert.equal((await operator.writes()) - writesBefore, 0, "no write to the Kubernetes API");
    const secretAfter = await client.get(CORE.secrets, { namespace: ns.name, name: `${NAME}-operator-credentials` });
    assert.equal(secretAfter.metadata.resourceVersion, secretBefore.metadata.resourceVersion);
    assert.equal((await getServer(client, ns.name, NAME)).metadata.resourceVersion, statusBefore);
  });

  it("an adapter that cannot bind its port makes Ready=False naming it, with one Warning; it recovers when it binds again", async () => {
    // The API's own port: the server holds it, so the SMB adapter fails to bind inside the pod's network namespace.
    await moveAdapter(podIP, "smb", API_PORT);
    const down = await waitForCondition(client, ns.name, NAME, "Ready", "False", undefined, 30_000);
    const ready = condition(down.status, "Ready");
    // dfs v0.29.0 keeps an adapter that failed to bind "running"; only its health says it does not serve.
    assert.equal(ready?.reason, "AdapterUnhealthy", ready?.message);
    assert.match(ready?.message ?? "", new RegExp(`adapter smb \\(port ${API_PORT}\\)`));
    assert.equal(condition(down.status, "Available")?.status, "True", "the pod stays available: only the adapter fails");
    const smb = down.status?.adapters?.find((a) => a.type === "smb");
    assert.equal(smb?.port, API_PORT);
    assert.notEqual(smb?.status, "healthy");
    const warnings = await waitFor("one NotServing warning", async () => {
      const found = (await eventsFor(client, ns.name, NAME)).filter((e) => e.reason === "NotServing");
      return found.length > 0 ? found : undefined;
    }, { timeoutMs: 15_000, intervalMs: 250 });
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.type, "Warning");
    assert.match(warnings[0]?.note ?? "", /adapter smb/);

    await moveAdapter(podIP, "smb", 1445);
    await waitForCondition(client, ns.name, NAME, "Ready", "True", "ServerReady", 30_000);
    assert.equal((await eventsFor(client, ns.name, NAME)).filter((e) => e.reason === "NotServing").length, 1, "one warning per transition, not per poll");
  });

  it("a killed server: APIUnreachable, then back to AuthenticationSucceeded with no manual step", async () => {
    const current = await client.get<KubeObject & { status?: { containerStatuses?: { containerID?: string }[] } }>(CORE.pods, { namespace: ns.name, name: POD });
    const pid = Number(/^pod-runner:\/\/(\d+)$/.exec(current.status?.containerStatuses?.[0]?.containerID ?? "")?.[1]);
    assert.ok(pid > 0, "containerID names the process");
    process.kill(pid, "SIGKILL");
    await waitForCondition(client, ns.name, NAME, "Authenticated", "False", "APIUnreachable", 30_000);
    await waitForCondition(client, ns.name, NAME, "Authenticated", "True", "AuthenticationSucceeded", 90_000);
    await waitForCondition(client, ns.name, NAME, "Ready", "True", "ServerReady", 30_000);
  });
});
