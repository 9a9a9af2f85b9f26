/**
 * Secure operator metrics on the real API server: the operator binary runs as its ServiceAccount with only the
 * shipped ClusterRole and serves /metrics over HTTPS (self-signed); a ServiceAccount bound to the shipped
 * `dittofs-operator-metrics-reader` ClusterRole reads them (200), one without it gets 403, no or a bogus token 401.
 * The audit log shows the operator's TokenReviews and SubjectAccessReviews, none refused, and none repeated
 * for scrapes within the cache's lifetime.
 */
import assert from "node:assert/strict";
import { request } from "node:https";
import { TLSSocket } from "node:tls";
import { after, before, it } from "node:test";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { allocatePorts } from "../../controlplane/ports.ts";
import type { PortLease } from "../../controlplane/ports.ts";
import { createTestNamespace, kubectl, kubectlOk } from "../../controlplane/testenv.ts";
import { installCrd } from "../api/support.ts";
import type { OperatorAsServiceAccount } from "./rbac-support.ts";
import { assertNothingRefused, assertRequested, auditEventsOf, startOperatorAsServiceAccount, waitWithOperator } from "./rbac-support.ts";
import { find, kustomizeInto, parseDocs } from "./support.ts";

let ns: { name: string; delete(): Promise<void> };
let operator: OperatorAsServiceAccount;
let lease: PortLease;
let readerRole: string;
let port: number;

interface Scrape {
  status: number;
  body: string;
  /** Subject CN of the certificate the server presented. */
  servedBy: string;
}

/** GET /metrics over a fresh TLS connection (the certificate is self-signed: not verified, but read). */
function scrape(token?: string): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
    const req = request({ host: "127.0.0.1", port, path: "/metrics", headers, rejectUnauthorized: false, agent: false }, (res) => {
      const servedBy = res.socket instanceof TLSSocket ? res.socket.getPeerCertificate().subject.CN : "(not TLS)";
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c)).on("end", () => {
        resolve({ status: res.statusCode ?? 0, body, servedBy: String(servedBy) });
      });
    });
    req.on("error", reject).end();
  });
}

async function tokenOf(serviceAccount: string): Promise<string> {
  return (await kubectlOk(["create", "token", serviceAccount, "-n", ns.name, "--duration=1h"])).trim();
}

before(async () => {
  await installCrd();
  ns = await createTestNamespace("deploy-metrics");
  lease = await allocatePorts(1);
  port = lease.ports[0]!;
  operator = await startOperatorAsServiceAccount(ns.name, [`--metrics-bind-address=127.0.0.1:${String(port)}`, "--metrics-secure=true"]);

  // The shipped reader role (unique name per run), bound to one of two ServiceAccounts.
  readerRole = `dittofs-operator-metrics-reader-${ns.name}`;
  const shipped = find(parseDocs(await kustomizeInto(ns.name)), "ClusterRole", "dittofs-operator-metrics-reader");
  const role: KubeObject = { ...shipped, metadata: { name: readerRole } };
  const binding: KubeObject & Record<string, unknown> = {
    apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: readerRole },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: readerRole },
    subjects: [{ kind: "ServiceAccount", name: "scraper", namespace: ns.name }],
  };
  const accounts = ["scraper", "bystander"].map((name) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns.name } }));
  await kubectlOk(["apply", "--server-side", "--field-manager=deploy-test", "-f", "-"], { input: [role, binding, ...accounts].map((o) => JSON.stringify(o)).join("\n") });
});

after(async () => {
  await operator.stop();
  await kubectl(["delete", `clusterrolebinding/${readerRole}`, `clusterrole/${readerRole}`, "--ignore-not-found"]);
  lease.release();
  await ns.delete();
});

it("HTTPS metrics: 200 with the reader role, 403 without, 401 without a valid token; reviews cached, none refused", async () => {
  const [reader, bystander] = [await tokenOf("scraper"), await tokenOf("bystander")];

  // The reader's permission is new: RBAC may take a moment to see the binding.
  const ok = await waitWithOperator(operator, "metrics readable with the reader role", async () => {
    const got = await scrape(reader).catch(() => undefined);
    return got?.status === 200 ? got : undefined;
  });
  assert.equal(ok.servedBy, "dittofs-operator-metrics", "the operator's self-signed certificate");
  assert.match(ok.body, /^controller_runtime_reconcile_total\{controller="dittoserver",result="success"\} \d+$/m);
  assert.match(ok.body, /^rest_client_requests_total\{code="201",method="POST",host="[^"]+"\} [1-9]/m, "the reviews are API requests too");

  const denied = await scrape(bystander);
  assert.equal(denied.status, 403, denied.body);
  assert.match(denied.body, new RegExp(`system:serviceaccount:${ns.name}:bystander`));
  assert.equal((await scrape()).status, 401);
  assert.equal((await scrape("not-a-token")).status, 401);
  assert.equal((await scrape(`${reader.slice(0, -4)}AAAA`)).status, 401, "a token with a forged signature");

  // Five more scrapes with the accepted token: answered from the cache, no further review reaches the API server.
  const reviews = (): number => auditEventsOf(operator.username).filter((e) => e.stage === "ResponseComplete" && ["tokenreviews", "subjectaccessreviews"].includes(e.objectRef?.resource ?? "")).length;
  const before = reviews();
  for (let i = 0; i < 5; i++) assert.equal((await scrape(reader)).status, 200);
  assert.equal(reviews(), before, "scrapes within a minute are answered from the review cache");

  const events = auditEventsOf(operator.username);
  assertRequested(events, "create", "tokenreviews");
  assertRequested(events, "create", "subjectaccessreviews");
  assertNothingRefused(events, operator.log());
});
