/**
 * What integration test files import: the shared control plane started by global-setup.ts (found through
 * environment variables), per-test namespaces, kubectl, and polling.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { ApiException, CoreV1Api, KubeConfig, KubernetesObjectApi } from "@kubernetes/client-node";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeObject } from "../../src/runtime/objects.ts";
import { runCommand } from "./run.ts";
import { waitFor } from "./wait.ts";

export { waitFor } from "./wait.ts";
export type { WaitOptions } from "./wait.ts";

const GLOBAL_SETUP_HINT =
  "integration tests need the shared control plane: run them with `npm run test:integration` " +
  "(or `npx node --test --test-global-setup=test/controlplane/global-setup.ts <file>`)";

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: ${GLOBAL_SETUP_HINT}`);
  return value;
}

/** Admin (system:masters) kubeconfig of the shared control plane. */
export function testKubeConfigPath(): string {
  return requiredEnv("DITTOFS_TEST_KUBECONFIG");
}

/** A fresh KubeConfig for the admin kubeconfig; callers may change it freely. */
export function testKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(testKubeConfigPath());
  return kc;
}

/** Directory with kubectl, dfs, kube-apiserver … (for tests that start their own control plane or tools). */
export function testBinDir(): string {
  return requiredEnv("DITTOFS_TEST_ASSETS");
}

/** The cluster CA, for signing client certificates of extra identities (signClientCertificate in ./pki.ts). */
export function testCa(): { certPath: string; keyPath: string } {
  return { certPath: requiredEnv("DITTOFS_TEST_CA_CERT"), keyPath: requiredEnv("DITTOFS_TEST_CA_KEY") };
}

/** The pod runner's CIDR (a /16 of this run, guarded by an unreachable route); every runner pod IP is in it. */
export function testPodCidr(): string {
  return requiredEnv("DITTOFS_TEST_POD_CIDR");
}

/** Control-plane logs: pod-runner.log, and pods/<namespace>_<pod>_<container>.log for each runner container. */
export function testLogDir(): string {
  return requiredEnv("DITTOFS_TEST_LOG_DIR");
}

/** The apiserver audit log (JSON lines, Metadata level, no RequestReceived stage). */
export function testAuditLogPath(): string {
  return requiredEnv("DITTOFS_TEST_AUDIT_LOG");
}

/**
 * Creates any object given as plain JSON (client-node's generic object API; its typed clients want class
 * instances) and returns what the server stored, as plain JSON again.
 */
export async function createObject(obj: KubeObject, kc: KubeConfig = testKubeConfig()): Promise<KubeObject> {
  const created = await KubernetesObjectApi.makeApiClient(kc).create(obj as unknown as KubernetesObject);
  return JSON.parse(JSON.stringify(created)) as KubeObject;
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiException && err.code === 404;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Creates a namespace `<prefix>-<random>` and waits for its `default` ServiceAccount (pods are rejected until
 * the controller-manager has made it). delete() starts the namespace's deletion and does not wait for it.
 */
export async function createTestNamespace(
  prefix: string,
  labels: Record<string, string> = {},
): Promise<{ name: string; delete(): Promise<void> }> {
  if (!DNS_LABEL.test(prefix) || prefix.length > 50) {
    throw new Error(`namespace prefix ${JSON.stringify(prefix)} must be a DNS label of at most 50 characters`);
  }
  const name = `${prefix}-${randomBytes(4).toString("hex")}`;
  const kc = testKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  await createObject(
    { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "dittofs-operator.test/namespace": "true", ...labels } } },
    kc,
  );
  await waitFor(
    `ServiceAccount default in namespace ${name}`,
    async () => {
      try {
        return await core.readNamespacedServiceAccount({ name: "default", namespace: name });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  return {
    name,
    delete: async () => {
      try {
        await core.deleteNamespace({ name });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}

/** Runs the kubectl built with the control plane against the shared cluster as admin. Never throws on exit != 0. */
export function kubectl(
  args: string[],
  opts: { input?: string; namespace?: string } = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  const fullArgs = [`--kubeconfig=${testKubeConfigPath()}`];
  if (opts.namespace) fullArgs.push(`--namespace=${opts.namespace}`);
  fullArgs.push(...args);
  return runCommand(join(testBinDir(), "kubectl"), fullArgs, { input: opts.input });
}

/** kubectl that must succeed: returns stdout, or throws with the command and its stderr. */
export async function kubectlOk(args: string[], opts: { input?: string; namespace?: string } = {}): Promise<string> {
  const r = await kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
