/**
 * The operator binary (`node src/main.ts`) as a subprocess against the real control plane: flags, a missing
 * StorageClass reported and recovered from when the class appears (no restart), names the CRD refuses, zero
 * writes after a restart over settled objects (counted in the API server audit log), and a
 * clean exit on SIGTERM.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { DITTOSERVERS, STORAGE_CLASSES } from "../../../src/dittoserver/kinds.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { createTestNamespace, testAuditLogPath, testKubeConfigPath, waitFor } from "../../controlplane/testenv.ts";
import { adminClient, condition, deleteAllServers, dittoServer, installCrd, waitForCondition, waitForEvent } from "./support.ts";

const MAIN = fileURLToPath(new URL("../../../src/main.ts", import.meta.url));
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: { child: ChildProcess; exited: Promise<number | null>; output: () => string } | undefined;
const CLASS = `e2e-${Math.random().toString(36).slice(2, 8)}`;

function run(args: string[]): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => { resolve(code); }));
  return { child, exited, output: () => out };
}

function startBinary(): void {
  operator = run(["--kubeconfig", testKubeConfigPath(), "--namespace", ns.name, "--metrics-bind-address=0", "--health-probe-bind-address=0", "--poll-period=2s", "--cluster-domain", "e2e.example"]);
}

async function stopBinary(): Promise<number | null> {
  if (!operator) return null;
  operator.child.kill("SIGTERM");
  const code = await operator.exited;
  operator = undefined;
  return code;
}

/** Write requests of the operator (its user agent) in the test namespace, from the audit log. */
async function auditedWrites(): Promise<number> {
  const lines = (await readFile(testAuditLogPath(), "utf8")).split("\n").filter(Boolean);
  return lines
    .map((l) => JSON.parse(l) as { stage?: string; verb?: string; userAgent?: string; objectRef?: { namespace?: string } })
    .filter((e) => e.stage === "ResponseComplete" && e.objectRef?.namespace === ns.name && (e.userAgent ?? "").startsWith("ts-controller-runtime") && ["create", "update", "patch", "delete"].includes(e.verb ?? "")).length;
}

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-binary");
});

after(async () => {
  if (!operator) startBinary();
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await stopBinary();
  await client.delete(STORAGE_CLASSES, { name: CLASS }).catch(() => undefined);
  await ns.delete();
  await client.close();
});

describe("operator binary", { concurrency: false }, () => {
  it("refuses unknown flags and prints help", async () => {
    const bad = run(["--no-such-flag"]);
    assert.equal(await bad.exited, 2);
    assert.match(bad.output(), /unknown flag --no-such-flag/);
    const help = run(["--help"]);
    assert.equal(await help.exited, 0);
    assert.match(help.output(), /--cluster-domain/);
    assert.match(help.output(), /--deletion-pod-timeout/);
  });

  it("reports a missing StorageClass and recovers when it is created", async () => {
    startBinary();
    await client.create(DITTOSERVERS, dittoServer(ns.name, "sc1", { storage: { metadataSize: "1Gi", storageClassName: CLASS } }));
    const blocked = await waitForCondition(client, ns.name, "sc1", "ConfigReady", "False", "StorageClassNotFound");
    assert.match(condition(blocked.status, "ConfigReady")?.message ?? "", new RegExp(CLASS));
    assert.equal(blocked.status?.phase, "Failed");
    assert.equal((await waitForEvent(client, ns.name, "sc1", "StorageClassNotFound")).type, "Warning");
    assert.equal(await client.getOrUndefined(CORE.statefulSets, { namespace: ns.name, name: "sc1" }), undefined, "no StatefulSet");

    const defaultClass = (await client.list(STORAGE_CLASSES)).items.find((c) => c.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true");
    const storageClass: KubeObject = { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: CLASS }, provisioner: typeof defaultClass?.provisioner === "string" ? defaultClass.provisioner : "kwok.x-k8s.io/volume", volumeBindingMode: "WaitForFirstConsumer" };
    await client.create(STORAGE_CLASSES, storageClass);
    const healed = await waitForCondition(client, ns.name, "sc1", "ConfigReady", "True", "ConfigApplied");
    assert.ok(await client.getOrUndefined(CORE.statefulSets, { namespace: ns.name, name: "sc1" }), "StatefulSet created");
    assert.equal(healed.status?.nfsEndpoint, `sc1-adapter-nfs.${ns.name}.svc.e2e.example:12049`, "--cluster-domain is used");
  });

  it("never sees names its derived names could not carry: the CRD refuses them (InvalidSpec is defence in depth)", async () => {
    await assert.rejects(client.create(DITTOSERVERS, dittoServer(ns.name, `n${"x".repeat(45)}`, { storage: { metadataSize: "1Gi" } })), /at most 45 characters/);
    await assert.rejects(client.create(DITTOSERVERS, dittoServer(ns.name, "fs.dotted", { storage: { metadataSize: "1Gi" } })), /it names Services/);
  });

  it("makes zero writes after a restart over settled objects, and exits 0 on SIGTERM", async () => {
    await waitForCondition(client, ns.name, "sc1", "ConfigReady", "True");
    await sleep(1_500);
    assert.equal(await stopBinary(), 0, "graceful exit");
    const before = await auditedWrites();
    assert.ok(before > 0, "the audit log sees the operator's earlier writes");
    startBinary();
    const started = operator!;
    await waitFor("operator started", () => Promise.resolve(started.output().includes("dittofs-operator started") ? true : undefined), { timeoutMs: 30_000 });
    await sleep(5_000); // the initial pass of every object plus two poll periods
    const writes = (await auditedWrites()) - before;
    console.log(`writes in 5 s after a restart over settled objects: ${writes}`);
    assert.equal(writes, 0);
  });
});
