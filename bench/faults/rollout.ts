/**
 * The moving parts the fault scenarios share: a namespace per scenario, operator replicas as the Deployment runs
 * them (`--leader-elect`, `--concurrency=4`, `--log-level=info`, `POD_NAME`; each replica under its own client
 * certificate so the audit log tells them apart), N minimal DittoServers created at once, and polling the API (not
 * watching: the bench's own watches would come back late after an outage and skew the figures).
 */
import { join } from "node:path";
import { DITTOSERVERS } from "../../src/dittoserver/kinds.ts";
import type { KubeClient } from "../../src/runtime/client.ts";
import type { Lease } from "../../src/runtime/leader.ts";
import type { KubeObject } from "../../src/runtime/objects.ts";
import { CORE } from "../../src/runtime/resources.ts";
import type { ControlPlane } from "../../test/controlplane/index.ts";
import { clientAs } from "../common/cluster.ts";
import { startOperator } from "../scale/operator.ts";
import type { OperatorProcess } from "../scale/operator.ts";
import { minimalServer, serverName } from "../scale/objects.ts";
import { forEachParallel, sleep } from "../scale/proc.ts";

export const LEASE_NAME = "dittofs-operator-lock";

export interface FaultContext {
  cp: ControlPlane;
  admin: KubeClient;
  workDir: string;
  /** DittoServers per rollout. */
  n: number;
  log: (line: string) => void;
  /** Namespaces whose generated Secrets the secrets scenario looks for (filled by the scenarios that ran). */
  namespaces: string[];
  /** Every operator log file written so far. */
  operatorLogs: string[];
}

export interface Replica {
  user: string;
  podName: string;
  process: OperatorProcess;
}

export async function newNamespace(ctx: FaultContext, prefix: string): Promise<string> {
  const name = `${prefix}-${Date.now().toString(36)}`;
  await ctx.admin.create(CORE.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  return name;
}

/** One operator replica in `namespace` (also its Lease's namespace), as user `user` with pod name `podName`. */
export async function startReplica(ctx: FaultContext, namespace: string, user: string, podName: string): Promise<Replica> {
  const { kubeconfigPath } = await clientAs(ctx.cp, ctx.workDir, user);
  const logPath = join(ctx.workDir, `${namespace}.${podName}.log`);
  ctx.operatorLogs.push(logPath);
  const process = await startOperator({
    kubeconfigPath,
    namespace,
    concurrency: 4,
    logPath,
    extraArgs: ["--leader-elect", `--leader-election-namespace=${namespace}`, "--log-level=info"],
    env: { POD_NAME: podName },
  });
  return { user, podName, process };
}

export async function createServers(ctx: FaultContext, namespace: string, n: number): Promise<void> {
  await forEachParallel(n, 16, async (i) => {
    await ctx.admin.create(DITTOSERVERS, minimalServer(namespace, serverName(i)));
  });
}

function isReady(obj: KubeObject): boolean {
  const status = obj.status as { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
  return status?.phase === "Running" && !!status.conditions?.some((c) => c.type === "Ready" && c.status === "True");
}

/** Ready DittoServers in `namespace`, or undefined while the API does not answer. */
export async function readyCount(client: KubeClient, namespace: string): Promise<number | undefined> {
  try {
    return (await client.listAll(DITTOSERVERS, { namespace })).items.filter(isReady).length;
  } catch {
    return undefined;
  }
}

/** Polls once a second until `n` servers are Ready; the time they were (ms since the epoch), or undefined at the timeout. */
export async function waitAllReady(client: KubeClient, namespace: string, n: number, timeoutMs: number, log: (line: string) => void): Promise<{ at: number | undefined; ready: number }> {
  const deadline = Date.now() + timeoutMs;
  let ready = 0;
  let lastReport = Date.now();
  while (Date.now() < deadline) {
    ready = (await readyCount(client, namespace)) ?? ready;
    if (ready >= n) return { at: Date.now(), ready };
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      log(`  ready ${ready}/${n}`);
    }
    await sleep(1000);
  }
  return { at: undefined, ready };
}

export async function readLease(client: KubeClient, namespace: string): Promise<Lease | undefined> {
  try {
    return await client.getOrUndefined<Lease>(CORE.leases, { namespace, name: LEASE_NAME });
  } catch {
    return undefined;
  }
}

/** Polls the Lease every 200 ms until `accept` holds; the time it did, or undefined at the timeout. */
export async function waitLease(client: KubeClient, namespace: string, accept: (lease: Lease) => boolean, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const lease = await readLease(client, namespace);
    if (lease && accept(lease)) return Date.now();
    await sleep(200);
  }
  return undefined;
}

/** Stops every replica still running (SIGTERM: drained, lease released). */
export async function stopAll(replicas: readonly Replica[]): Promise<void> {
  for (const r of replicas) await r.process.stop();
}
