/**
 * The operator binary (`src/main.ts`) running as its own ServiceAccount with only the shipped ClusterRole and
 * leader-election Role (from deploy/base): it brings the minimal sample to Ready 1/1, deletes it through its
 * finalizer, and the API server's audit log shows no 403 for that ServiceAccount.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { parse } from "yaml";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { renderKubeconfig } from "../../controlplane/index.ts";
import { createTestNamespace, kubectl, testAuditLogPath, waitFor } from "../../controlplane/testenv.ts";
import { installCrd } from "../api/support.ts";
import { find, kustomizeInto, parseDocs, ROOT } from "./support.ts";

const SA = "dittofs-operator";

interface AuditEvent {
  stage: string;
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
}

let ns: { name: string; delete(): Promise<void> };
let clusterScoped: string[] = [];
let operator: ChildProcess | undefined;
let operatorLog = "";
let workDir = "";

async function ok(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  await installCrd();
  ns = await createTestNamespace("deploy-rbac");
  workDir = mkdtempSync(join(tmpdir(), "dittofs-rbac-"));
  // The shipped RBAC moved into the test namespace; cluster-scoped names made unique so runs never collide.
  const objects = parseDocs(await kustomizeInto(ns.name));
  const roleName = `dittofs-operator-${ns.name}`;
  const clusterRole = { ...find(objects, "ClusterRole"), metadata: { name: roleName } };
  const binding = find(objects, "ClusterRoleBinding") as KubeObject & { roleRef: { name: string } };
  const clusterBinding = { ...binding, metadata: { name: roleName }, roleRef: { ...binding.roleRef, name: roleName } };
  const rbac = [find(objects, "ServiceAccount", SA), clusterRole, clusterBinding, find(objects, "Role"), find(objects, "RoleBinding")];
  clusterScoped = [`clusterrole/${roleName}`, `clusterrolebinding/${roleName}`];
  await ok(["apply", "--server-side", "--field-manager=deploy-test", "-f", "-"], rbac.map((o) => JSON.stringify(o)).join("\n"));

  // A bound token of the ServiceAccount (TokenRequest API) in a kubeconfig of its own.
  const token = (await ok(["create", "token", SA, "-n", ns.name, "--duration=1h"])).trim();
  const kubeconfig = join(workDir, "kubeconfig");
  const server = process.env.DITTOFS_TEST_API_SERVER ?? "";
  const caCertPath = process.env.DITTOFS_TEST_CA_CERT ?? "";
  assert.ok(server && caCertPath, "DITTOFS_TEST_API_SERVER / DITTOFS_TEST_CA_CERT not set (run through the global setup)");
  writeFileSync(kubeconfig, renderKubeconfig({ server, caCertPath, credentials: { token } }), { mode: 0o600 });

  operator = spawn(
    process.execPath,
    [
      join(ROOT, "src/main.ts"), "--kubeconfig", kubeconfig, "--namespace", ns.name,
      "--leader-elect", "--leader-election-namespace", ns.name,
      "--metrics-bind-address=0", "--health-probe-bind-address=0",
      "--poll-period=2s", "--deletion-pod-warning=3s", "--deletion-pod-timeout=6s", "--log-level=debug",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  operator.stdout?.on("data", (d: Buffer) => { operatorLog += d.toString(); });
  operator.stderr?.on("data", (d: Buffer) => { operatorLog += d.toString(); });
});

after(async () => {
  if (operator && operator.exitCode === null) {
    const exited = new Promise((r) => operator?.once("exit", r));
    operator.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (operator.exitCode === null) operator.kill("SIGKILL");
  }
  for (const obj of clusterScoped) await kubectl(["delete", obj, "--ignore-not-found"]);
  await ns.delete();
  rmSync(workDir, { recursive: true, force: true });
});

function auditEventsOf(username: string): AuditEvent[] {
  return readFileSync(testAuditLogPath(), "utf8")
    .split("\n")
    .filter((line) => line.includes(username))
    .map((line) => JSON.parse(line) as AuditEvent)
    .filter((e) => e.user.username === username);
}

it("runs with only the shipped RBAC: sample Ready 1/1, metrics Service added and removed, deleted through the finalizer, no 403", async () => {
  const sample = parse(readFileSync(join(ROOT, "deploy/samples/dittoserver-minimal.yaml"), "utf8")) as KubeObject;
  await ok(["apply", "-n", ns.name, "-f", "-"], JSON.stringify(sample));
  const name = sample.metadata.name ?? "";

  await waitFor(`DittoServer ${name} Ready 1/1 and Running (operator log below on timeout)`, async () => {
    if (operator?.exitCode !== null) throw new Error(`the operator exited (${operator?.exitCode ?? "?"}):\n${operatorLog.slice(-3000)}`);
    const got = await kubectl(["get", "dittoserver", name, "-n", ns.name, "-o", "json"]);
    if (got.code !== 0) return undefined;
    const status = (JSON.parse(got.stdout) as { status?: { ready?: string; phase?: string } }).status;
    return status?.ready === "1/1" && status.phase === "Running" ? true : undefined;
  }, { timeoutMs: 60_000 }).catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\noperator log:\n${operatorLog.slice(-3000)}`);
  });

  // More of the role: a metrics Service is created, then deleted when metrics are turned off again.
  await ok(["patch", "dittoserver", name, "-n", ns.name, "--type=merge", "-p", '{"spec":{"metrics":{"enabled":true}}}']);
  await waitFor(`Service ${name}-metrics created by the operator`, async () => {
    const got = await kubectl(["get", "service", `${name}-metrics`, "-n", ns.name, "-o", "name"]);
    return got.code === 0 ? true : undefined;
  }, { timeoutMs: 30_000 });
  await ok(["patch", "dittoserver", name, "-n", ns.name, "--type=merge", "-p", '{"spec":{"metrics":{"enabled":false}}}']);
  await waitFor(`Service ${name}-metrics deleted by the operator`, async () => {
    const got = await kubectl(["get", "service", `${name}-metrics`, "-n", ns.name, "--ignore-not-found", "-o", "name"]);
    return got.code === 0 && got.stdout.trim() === "" ? true : undefined;
  }, { timeoutMs: 30_000 });

  await ok(["delete", "dittoserver", name, "-n", ns.name, "--wait=false"]);
  await waitFor(`DittoServer ${name} gone (finalizer removed by the operator)`, async () => {
    const got = await kubectl(["get", "dittoserver", name, "-n", ns.name, "--ignore-not-found", "-o", "name"]);
    return got.code === 0 && got.stdout.trim() === "" ? true : undefined;
  }, { timeoutMs: 60_000 });

  const username = `system:serviceaccount:${ns.name}:${SA}`;
  const events = auditEventsOf(username);
  // The check below must be able to fail: the operator's own writes are in the audit log under its identity.
  assert.ok(events.some((e) => e.objectRef?.resource === "dittoservers" && e.objectRef.subresource === "status" && e.verb === "patch"), "no status patch by the ServiceAccount in the audit log");
  assert.ok(events.some((e) => e.objectRef?.resource === "leases" && e.verb === "create"), "no Lease taken by the ServiceAccount");
  assert.ok(events.some((e) => e.objectRef?.resource === "services" && e.verb === "delete"), "no Service deleted by the ServiceAccount");
  assert.ok(events.some((e) => e.objectRef?.resource === "statefulsets" && e.verb === "patch"), "no StatefulSet applied by the ServiceAccount");
  const forbidden = events.filter((e) => e.responseStatus?.code === 403);
  assert.deepEqual(
    forbidden.map((e) => `${e.verb} ${e.objectRef?.resource ?? ""}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ""} ${e.objectRef?.namespace ?? ""}/${e.objectRef?.name ?? ""}`),
    [],
    "requests the shipped ClusterRole does not allow",
  );
  assert.doesNotMatch(operatorLog, /forbidden/i);
});
