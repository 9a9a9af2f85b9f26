/**
 * The operator binary (`src/main.ts`) running as its own ServiceAccount with only the shipped ClusterRole and
 * leader-election Role (from deploy/base): it brings the minimal sample to Ready 1/1, deletes it through its
 * finalizer, takes a DittoShare through its finalizer too, and the API server's audit log shows no 403 (nor a 4xx the code does not expect) for that
 * ServiceAccount. The optional paths (Percona, ServiceMonitor, volume expansion, CRDs installed after the start)
 * are in operator-rbac-optional.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { parse } from "yaml";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { createTestNamespace, kubectl, kubectlOk as ok, waitFor } from "../../controlplane/testenv.ts";
import { installCrd } from "../api/support.ts";
import type { OperatorAsServiceAccount } from "./rbac-support.ts";
import { assertNothingRefused, assertRequested, auditEventsOf, startOperatorAsServiceAccount, waitWithOperator } from "./rbac-support.ts";
import { ROOT } from "./support.ts";

let ns: { name: string; delete(): Promise<void> };
let operator: OperatorAsServiceAccount;

before(async () => {
  await installCrd();
  ns = await createTestNamespace("deploy-rbac");
  operator = await startOperatorAsServiceAccount(ns.name);
});

after(async () => {
  await operator.stop();
  await ns.delete();
});

it("runs with only the shipped RBAC: sample Ready 1/1, metrics Service added and removed, deleted through the finalizer, no 403, no unexpected 4xx", async () => {
  const sample = parse(readFileSync(join(ROOT, "deploy/samples/dittoserver-minimal.yaml"), "utf8")) as KubeObject;
  await ok(["apply", "-n", ns.name, "-f", "-"], { input: JSON.stringify(sample) });
  const name = sample.metadata.name ?? "";

  await waitWithOperator(operator, `DittoServer ${name} Ready 1/1 and Running`, async () => {
    const got = await kubectl(["get", "dittoserver", name, "-n", ns.name, "-o", "json"]);
    if (got.code !== 0) return undefined;
    const status = (JSON.parse(got.stdout) as { status?: { ready?: string; phase?: string } }).status;
    return status?.ready === "1/1" && status.phase === "Running" ? true : undefined;
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

  // A DittoShare (the sample, whose DittoServer does not exist here): finalizer added, ServerNotFound written, deleted.
  const share = parse(readFileSync(join(ROOT, "deploy/samples/dittoshare-export.yaml"), "utf8")) as KubeObject;
  await ok(["apply", "-n", ns.name, "-f", "-"], { input: JSON.stringify(share) });
  await waitWithOperator(operator, "DittoShare export reports ServerNotFound", async () => {
    const got = await kubectl(["get", "dittoshare", "export", "-n", ns.name, "-o", "jsonpath={.status.conditions[?(@.type==\"Synced\")].reason}"]);
    return got.code === 0 && got.stdout === "ServerNotFound" ? true : undefined;
  });
  await ok(["delete", "dittoshare", "export", "-n", ns.name, "--timeout=30s"]);

  const events = auditEventsOf(operator.username);
  assertRequested(events, "patch", "dittoshares");
  assertRequested(events, "patch", "dittoshares", "status");
  // The check below must be able to fail: the operator's own writes are in the audit log under its identity.
  assertRequested(events, "patch", "dittoservers", "status");
  assertRequested(events, "create", "leases");
  assertRequested(events, "delete", "services");
  assertRequested(events, "patch", "statefulsets");
  assertNothingRefused(events, operator.log());
});
