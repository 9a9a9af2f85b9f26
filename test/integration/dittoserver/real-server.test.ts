/**
 * A DittoServer whose pod is a real `dfs` (the pod runner of the test control plane, opted in with its label):
 * the server answers at the pod IP on its rendered port, `dfsctl` logs in with the generated admin password, what
 * it writes survives a pod deletion (the claims are real directories), a crashed process is restarted and shown
 * in restartCount/lastState, and deleting the DittoServer waits, through the finalizer, for the process to end.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DITTOSERVERS } from "../../../src/dittoserver/kinds.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { RUNNER_LABEL } from "../../controlplane/index.ts";
import { prefixesOverlap } from "../../controlplane/pods/network.ts";
import { createTestNamespace, testLogDir, testPodCidr, waitFor } from "../../controlplane/testenv.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, deleteAllServers, dittoServer, installCrd, startOperator, TEST_OPTIONS, waitForCondition } from "./support.ts";
import { privateDfsctl } from "./dfsctl.ts";
import type { Dfsctl } from "./dfsctl.ts";

const NAME = "real";
const POD = `${NAME}-0`;
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;
let dfsctl: Dfsctl;

interface PodView extends KubeObject {
  status?: {
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { restartCount: number; ready: boolean; containerID?: string; lastState?: { terminated?: { exitCode: number; reason: string } } }[];
  };
}

const readPod = (): Promise<PodView | undefined> => client.getOrUndefined<PodView>(CORE.pods, { namespace: ns.name, name: POD });

/** The pod once the runner reports it Ready (its readiness probe passed against the real process). */
async function readyPod(notUid?: string): Promise<PodView & { status: { podIP: string } }> {
  return waitFor(
    `pod ${POD} Ready from its readiness probe`,
    async () => {
      const p = await readPod();
      if (!p || p.metadata.uid === notUid || p.metadata.deletionTimestamp) return undefined;
      const ready = p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
      return ready && p.status?.podIP ? (p as PodView & { status: { podIP: string } }) : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 3000, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer in time`)));
    req.on("error", reject);
    req.end();
  });
}

async function adminPassword(): Promise<string> {
  const secret = await client.get(CORE.secrets, { namespace: ns.name, name: `${NAME}-admin-bootstrap-credentials` });
  return Buffer.from((secret.data as Record<string, string>).password!, "base64").toString("utf8");
}

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-real-server");
  dfsctl = await privateDfsctl();
  // The finalizer's pod wait must outlast the real drain: preStop (5 s) plus the server's own shutdown.
  operator = await startOperator(ns.name, { ...TEST_OPTIONS, deletionPodTimeoutMs: 120_000 });
});

after(async () => {
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await ns.delete();
  await client.close();
  await dfsctl.remove();
});

describe("a real dfs behind the DittoServer pod", { concurrency: false }, () => {
  let podIP = "";

  it("answers /health/ready at the pod IP and lets dfsctl log in as admin with the generated password", async () => {
    await client.create(DITTOSERVERS, dittoServer(ns.name, NAME, { storage: { metadataSize: "1Gi" }, podLabels: { [RUNNER_LABEL]: "true" } }));
    const pod = await readyPod();
    podIP = pod.status.podIP;
    assert.ok(prefixesOverlap(testPodCidr(), podIP), `pod IP ${podIP} is in the runner's CIDR ${testPodCidr()}`);
    const health = await httpGet(`http://${podIP}:8080/health/ready`);
    assert.equal(health.status, 200, health.body);
    assert.equal((JSON.parse(health.body) as { status: string }).status, "healthy", health.body);
    const login = await dfsctl.run(["login", "--server", `http://${podIP}:8080`, "--username", "admin", "--password", await adminPassword()]);
    assert.match(login, /Logged in successfully as admin/);
    await assert.rejects(
      dfsctl.run(["login", "--server", `http://${podIP}:8080`, "--username", "admin", "--password", "not-the-password"]),
      /login failed/,
      "a wrong password is refused: the login above proves the Secret's password",
    );
    await waitForCondition(client, ns.name, NAME, "Ready", "True", undefined, 60_000);
  });

  it("keeps what the server wrote across a pod deletion: the claims are real directories", async () => {
    await dfsctl.run(["store", "metadata", "add", "--name", "survivor", "--type", "memory"]);
    assert.match(await dfsctl.run(["store", "metadata", "list"]), /survivor/);
    const old = await readPod();
    await client.delete(CORE.pods, { namespace: ns.name, name: POD });
    const fresh = await readyPod(old?.metadata.uid);
    podIP = fresh.status.podIP;
    await dfsctl.run(["login", "--server", `http://${podIP}:8080`, "--username", "admin", "--password", await adminPassword()]);
    assert.match(await dfsctl.run(["store", "metadata", "list"]), /survivor/, "the store lives in the control-plane database on the claim");
  });

  it("restarts a crashed server and reports restartCount and lastState like a kubelet", async () => {
    const before = await readyPod();
    const pid = Number(/^pod-runner:\/\/(\d+)$/.exec(before.status.containerStatuses?.[0]?.containerID ?? "")?.[1]);
    assert.ok(pid > 0, `containerID names the process: ${before.status.containerStatuses?.[0]?.containerID}`);
    process.kill(pid, "SIGKILL");
    const restarted = await waitFor(
      "restartCount 1 and Ready again",
      async () => {
        const p = await readPod();
        const status = p?.status?.containerStatuses?.[0];
        return status?.restartCount === 1 && status.ready ? status : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    assert.deepEqual({ exitCode: restarted.lastState?.terminated?.exitCode, reason: restarted.lastState?.terminated?.reason }, { exitCode: 137, reason: "Error" });
    const health = await httpGet(`http://${podIP}:8080/health/ready`);
    assert.equal(health.status, 200, "the restarted process serves at the same pod IP");
  });

  it("drains on SIGTERM within the grace period, and the finalizer waits for the real process to end", async () => {
    const started = Date.now();
    await client.delete(DITTOSERVERS, { namespace: ns.name, name: NAME });
    await waitFor(`DittoServer ${NAME} gone`, async () => ((await client.getOrUndefined(DITTOSERVERS, { namespace: ns.name, name: NAME })) ? undefined : true), {
      timeoutMs: 120_000,
      intervalMs: 200,
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 5_000, `the preStop hook (5 s) ran before the pod went; took ${elapsed} ms`);
    assert.ok(elapsed < 105_000, `drained inside terminationGracePeriodSeconds; took ${elapsed} ms`);
    const runnerLog = await readFile(join(testLogDir(), "pod-runner.log"), "utf8");
    assert.match(runnerLog, new RegExp(`${ns.name}/${POD}/dittofs exited \\(code 0\\) on termination`), "dfs exited by itself (code 0), not by SIGKILL");
    const serverLog = await readFile(join(testLogDir(), "pods", `${ns.name}_${POD}_dittofs.log`), "utf8");
    assert.match(serverLog, /shutdown|shutting down/i, "the server logged its graceful shutdown");
    await assert.rejects(httpGet(`http://${podIP}:8080/health`), "nothing answers at the pod IP any more");
  });
});
