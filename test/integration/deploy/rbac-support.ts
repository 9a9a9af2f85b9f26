/**
 * The operator binary (`src/main.ts`) running as its own ServiceAccount with only the shipped RBAC of deploy/base
 * (ClusterRole, ClusterRoleBinding, leader-election Role and RoleBinding, moved into the test namespace), and the
 * API server's audit log of that ServiceAccount, for the deploy RBAC tests.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { renderKubeconfig } from "../../controlplane/index.ts";
import { kubectl, kubectlOk, testAuditLogPath, waitFor } from "../../controlplane/testenv.ts";
import { find, kustomizeInto, parseDocs, ROOT } from "./support.ts";

const SA = "dittofs-operator";

export interface AuditEvent {
  stage: string;
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
}

export interface OperatorAsServiceAccount {
  /** `system:serviceaccount:<namespace>:dittofs-operator`, the user of its requests in the audit log. */
  username: string;
  /** Everything the operator printed so far. */
  log(): string;
  /** The exit code once the process has exited (a wait should then stop, not run out its timeout), else null. */
  exitCode(): number | null;
  /** SIGTERM (then SIGKILL), and removal of the cluster-scoped RBAC and the token kubeconfig. */
  stop(): Promise<void>;
}

/**
 * Applies the shipped RBAC into `namespace` (cluster-scoped names made unique so runs never collide), writes a
 * kubeconfig holding a bound token of the ServiceAccount, and starts the operator with it, watching `namespace`.
 * `extraArgs` come last and so win over the defaults (metrics and probes are off unless they turn them on).
 */
export async function startOperatorAsServiceAccount(namespace: string, extraArgs: string[] = []): Promise<OperatorAsServiceAccount> {
  const objects = parseDocs(await kustomizeInto(namespace));
  const roleName = `dittofs-operator-${namespace}`;
  const clusterRole = { ...find(objects, "ClusterRole", "dittofs-operator"), metadata: { name: roleName } };
  const binding = find(objects, "ClusterRoleBinding") as KubeObject & { roleRef: { name: string } };
  const clusterBinding = { ...binding, metadata: { name: roleName }, roleRef: { ...binding.roleRef, name: roleName } };
  const rbac = [find(objects, "ServiceAccount", SA), clusterRole, clusterBinding, find(objects, "Role"), find(objects, "RoleBinding")];
  const clusterScoped = [`clusterrole/${roleName}`, `clusterrolebinding/${roleName}`];
  await kubectlOk(["apply", "--server-side", "--field-manager=deploy-test", "-f", "-"], { input: rbac.map((o) => JSON.stringify(o)).join("\n") });

  // A bound token of the ServiceAccount (TokenRequest API) in a kubeconfig of its own.
  const workDir = mkdtempSync(join(tmpdir(), "dittofs-rbac-"));
  const token = (await kubectlOk(["create", "token", SA, "-n", namespace, "--duration=1h"])).trim();
  const kubeconfig = join(workDir, "kubeconfig");
  const server = process.env.DITTOFS_TEST_API_SERVER ?? "";
  const caCertPath = process.env.DITTOFS_TEST_CA_CERT ?? "";
  assert.ok(server && caCertPath, "DITTOFS_TEST_API_SERVER / DITTOFS_TEST_CA_CERT not set (run through the global setup)");
  writeFileSync(kubeconfig, renderKubeconfig({ server, caCertPath, credentials: { token } }), { mode: 0o600 });

  const operator = spawn(
    process.execPath,
    [
      join(ROOT, "src/main.ts"), "--kubeconfig", kubeconfig, "--namespace", namespace,
      "--leader-elect", "--leader-election-namespace", namespace,
      "--metrics-bind-address=0", "--health-probe-bind-address=0",
      "--poll-period=2s", "--deletion-pod-warning=3s", "--deletion-pod-timeout=6s", "--log-level=debug",
      ...extraArgs,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  operator.stdout.on("data", (d: Buffer) => { log += d.toString(); });
  operator.stderr.on("data", (d: Buffer) => { log += d.toString(); });

  return {
    username: `system:serviceaccount:${namespace}:${SA}`,
    log: () => log,
    exitCode: () => operator.exitCode,
    stop: async () => {
      if (operator.exitCode === null) {
        const exited = new Promise((r) => operator.once("exit", r));
        operator.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
        if (operator.exitCode === null) operator.kill("SIGKILL");
      }
      for (const obj of clusterScoped) await kubectl(["delete", obj, "--ignore-not-found"]);
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** `waiting`, with the tail of the operator's log added to its error. */
export async function withOperatorLog<T>(operator: OperatorAsServiceAccount, waiting: Promise<T>): Promise<T> {
  return waiting.catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\noperator log:\n${operator.log().slice(-3000)}`);
  });
}

/** Waits for `check`; gives up as soon as the operator exits; the operator's log is in the error. */
export async function waitWithOperator<T>(operator: OperatorAsServiceAccount, what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return withOperatorLog(operator, (async () => {
    const seen = await waitFor(what, async () => {
      if (operator.exitCode() !== null) return { exited: true } as const;
      const value = await check();
      return value === undefined ? undefined : { exited: false, value } as const;
    }, { timeoutMs });
    if (seen.exited) throw new Error(`the operator exited (${String(operator.exitCode())}) while waiting for ${what}`);
    return seen.value;
  })());
}

/** The requests of `username` in the audit log so far (its writes are logged under its identity). */
export function auditEventsOf(username: string): AuditEvent[] {
  return readFileSync(testAuditLogPath(), "utf8")
    .split("\n")
    .filter((line) => line.includes(username))
    .map((line) => JSON.parse(line) as AuditEvent)
    .filter((e) => e.user.username === username);
}

/** `verb resource[/subresource] namespace/name`, for assertion messages. */
export function describeRequest(e: AuditEvent): string {
  const ref = e.objectRef;
  return `${e.verb} ${ref?.resource ?? ""}${ref?.subresource ? `/${ref.subresource}` : ""} ${ref?.namespace ?? ""}/${ref?.name ?? ""}`;
}

/** The ServiceAccount sent `verb` on `resource[/subresource]` (so a check on its answers covers that call). */
export function assertRequested(events: AuditEvent[], verb: string, resource: string, subresource?: string): void {
  const sent = events.filter((e) => e.verb === verb && e.objectRef?.resource === resource && e.objectRef.subresource === subresource);
  assert.ok(sent.length > 0, `no ${verb} ${resource}${subresource ? `/${subresource}` : ""} by the ServiceAccount in the audit log`);
}

/**
 * Answers the code expects and handles as outcomes, not failures: 404 to a read that probes existence
 * (`getOrUndefined`, the first read of the Lease), 409 AlreadyExists to a create (another writer won, e.g. a
 * generated Secret), 409 Conflict to a Lease update (optimistic concurrency of leader election) and 429 to a
 * list or watch: the API server answers so, with Retry-After, while the watch cache of a resource whose CRD was
 * just installed initializes, and the watcher waits and retries.
 */
function expectedRefusal(e: AuditEvent): boolean {
  const code = e.responseStatus?.code;
  if (code === 429) return e.verb === "watch" || e.verb === "list";
  if (code === 404) return e.verb === "get";
  if (code === 409) return e.verb === "create" || (e.verb === "update" && e.objectRef?.resource === "leases");
  return false;
}

/**
 * No request of the ServiceAccount was refused by authorization (403), none got another 4xx the code does not
 * expect, and the operator never logged a refusal.
 */
export function assertNothingRefused(events: AuditEvent[], operatorLog: string): void {
  assert.deepEqual(events.filter((e) => e.responseStatus?.code === 403).map(describeRequest), [], "requests the shipped ClusterRole does not allow");
  const refused = events.filter((e) => { const code = e.responseStatus?.code ?? 0; return code >= 400 && code < 500 && !expectedRefusal(e); });
  assert.deepEqual(refused.map((e) => `${e.responseStatus?.code ?? ""} ${describeRequest(e)}`), [], "requests of the ServiceAccount the API server refused");
  assert.doesNotMatch(operatorLog, /forbidden/i);
}
