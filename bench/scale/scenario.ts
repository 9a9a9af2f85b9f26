/**
 * One scenario: a fresh namespace, the operator (own identity) restricted to it, N minimal DittoServers created at
 * once, convergence, an idle window, spec-edit latency; then the raw-write floor of the same objects in a second
 * namespace. Write counts come from the audit log, filtered to the operator's username and the namespace.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DITTOSERVERS, NETWORK_POLICIES } from "../../src/dittoserver/kinds.ts";
import type { KubeClient } from "../../src/runtime/client.ts";
import { CORE } from "../../src/runtime/resources.ts";
import type { ResourceType } from "../../src/runtime/resources.ts";
import { countWrites, parseAuditLines } from "./audit.ts";
import type { WriteCount } from "./audit.ts";
import { DITTOSHARES } from "../../src/dittoshare/kind.ts";
import { childrenOf, minimalServer, minimalShare, ownedObjectCount, serverName } from "./objects.ts";
import { createMemoryCgroup } from "./cgroup.ts";
import { startOperator } from "./operator.ts";
import { statusPathSummary } from "./report.ts";
import { forEachParallel, MiB, percentile, sleep } from "./proc.ts";
import { trackNamespace } from "./tracker.ts";

export interface ScenarioOptions {
  admin: KubeClient;
  /** Client authenticated as the floor's own writer (any identity other than the operator's). */
  floorClient: KubeClient;
  operatorKubeconfigPath: string;
  operatorUsername: string;
  auditLogPath: string;
  workDir: string;
  n: number;
  concurrency: number;
  /** DittoShares per DittoServer, created right after the servers. */
  sharesPerServer: number;
  idleMs: number;
  edits: number;
  /** Wait after all-Ready before the idle window starts (late status writes count as convergence). */
  settleMs: number;
  timeoutMs: number;
  floor: boolean;
  /** Type of the file Service (undefined: the default, LoadBalancer). */
  fileServiceType: string | undefined;
  /** Whether the shipped finalizer admission policy was installed (the operator then never patches the finalizer in). */
  finalizerPolicy: boolean;
  /** More operator flags (e.g. `--unschedulable-grace=2m`); recorded in the result. */
  operatorArgs: string[];
  /** Node flags instead of the image's (undefined: the Dockerfile ENTRYPOINT's). */
  nodeFlags?: string[] | undefined;
  /** Run the operator in a memory cgroup of this size (the shipped Deployment's limit); undefined: no limit. */
  memoryLimitBytes: number | undefined;
  log: (line: string) => void;
}

export interface ScenarioResult {
  n: number;
  concurrency: number;
  /** DittoShares per DittoServer (absent in results from before DittoShares: none). */
  sharesPerServer?: number;
  /** Seconds until every DittoShare had a status for its generation saying whether it is Synced. */
  sharesSettledSeconds?: number | null;
  /** DittoShare writes (metadata and status) among `toSteady`, and the status lines the shares showed. */
  shareWrites?: { toSteady: number; idle: number; statusLines: Record<string, number> };
  fileServiceType: string;
  /** Absent in results from before the policy existed: read as false. */
  finalizerPolicy?: boolean;
  operatorArgs?: string[];
  /** Node flags of the operator process (the image's ENTRYPOINT); absent in older results. */
  nodeFlags?: string[];
  /** ConfigMap + Services + StatefulSet (what "children applied" waits for and the floor writes). */
  childrenPerServer: number;
  /** Every object the operator writes per server (generated Secrets included): the write target's "children". */
  ownedPerServer: number;
  createSeconds: number;
  childrenSeconds: number | null;
  readySeconds: number | null;
  readyCount: number;
  toSteady: WriteCount;
  idle: WriteCount & { seconds: number; reconciles: number };
  editLatencyMs: { samples: number; p50: number; p99: number; max: number } | null;
  /** The operator's mutating requests during the spec edits (all of them, not per edit). */
  editWrites: WriteCount;
  rssMiB: { atReady: number; afterIdle: number; peak: number };
  /** V8 heap in use at the same moments (absent in results from before it was sampled). */
  heapUsedMiB?: { atReady: number; afterIdle: number };
  cpuSeconds: { toReady: number; idle: number; edits: number };
  floor: { writes: number; parallelism: number; seconds: number } | null;
  operatorExited: boolean;
  /** The memory limit the operator ran under (null: none) and the OOM kills in it; absent in older results. */
  memoryLimitMiB?: number | null;
  oomKills?: number;
}

function rounded(x: number, digits = 2): number {
  return Number(x.toFixed(digits));
}

export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const namespace = `scale-n${o.n}-c${o.concurrency}-${Date.now().toString(36)}`;
  await o.admin.create(CORE.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  const childrenPerServer = childrenOf(namespace, "x", o.fileServiceType).length;
  const shareCount = o.n * o.sharesPerServer;
  const tracker = await trackNamespace(o.admin, namespace, o.n, childrenPerServer, shareCount);
  const cgroup = o.memoryLimitBytes === undefined ? undefined : await createMemoryCgroup(namespace, o.memoryLimitBytes);
  if (typeof cgroup === "string") o.log(`  no memory limit for the operator: ${cgroup}`);
  const limited = typeof cgroup === "object" ? cgroup : undefined;
  const operator = await startOperator({ kubeconfigPath: o.operatorKubeconfigPath, namespace, concurrency: o.concurrency, logPath: join(o.workDir, `${namespace}.operator.log`), extraArgs: o.operatorArgs, nodeFlags: o.nodeFlags, ...(limited ? { cgroupProcsFile: limited.procsFile } : {}) });
  const cpu0 = (await operator.sample()).cpuSeconds;

  const t0 = Date.now();
  await forEachParallel(o.n, 16, async (i) => { await o.admin.create(DITTOSERVERS, minimalServer(namespace, serverName(i), o.fileServiceType)); });
  await forEachParallel(shareCount, 16, async (k) => { await o.admin.create(DITTOSHARES, minimalShare(namespace, Math.floor(k / o.sharesPerServer), k % o.sharesPerServer)); });
  const createdAt = Date.now();
  o.log(`N=${o.n} c=${o.concurrency}: ${o.n} DittoServers${shareCount ? ` and ${shareCount} DittoShares` : ""} created in ${((createdAt - t0) / 1000).toFixed(1)} s`);
  let lastReport = Date.now();
  const converged = (): boolean => tracker.allReadyAt() !== undefined && (shareCount === 0 || tracker.allSharesSettledAt() !== undefined);
  while (!converged() && Date.now() - t0 < o.timeoutMs && !operator.exited()) {
    await sleep(250);
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      o.log(`  ${((Date.now() - t0) / 1000).toFixed(0)} s: children ${tracker.childrenSeen()}/${o.n * childrenPerServer}, ready ${tracker.readyCount()}/${o.n}${shareCount ? `, shares settled ${tracker.sharesSettled()}/${shareCount}` : ""}`);
    }
  }
  const readyAt = tracker.allReadyAt();
  const atReady = await operator.sample().catch(() => ({ rssBytes: Number.NaN, cpuSeconds: Number.NaN }));
  const heapAtReady = await operator.heapUsedBytes().catch(() => Number.NaN);
  o.log(`  all ready: ${readyAt ? `${((readyAt - t0) / 1000).toFixed(1)} s` : `no (${tracker.readyCount()}/${o.n})`}`);

  await sleep(o.settleMs);
  for (const line of statusPathSummary(tracker.statusPaths())) o.log(`  ${line}`);
  for (const [line, shares] of tracker.shareStatusLines()) o.log(`  ${shares} DittoShares showed: ${line}`);
  const idleFrom = Date.now();
  const reconciles0 = await operator.reconciles().catch(() => Number.NaN);
  const cpuIdle0 = (await operator.sample().catch(() => atReady)).cpuSeconds;
  if (o.idleMs > 0) o.log(`  idle window ${(o.idleMs / 1000).toFixed(0)} s`);
  await sleep(o.idleMs);
  const idleTo = Date.now();
  const afterIdle = await operator.sample().catch(() => ({ rssBytes: Number.NaN, cpuSeconds: Number.NaN }));
  const heapAfterIdle = await operator.heapUsedBytes().catch(() => Number.NaN);
  const reconciles1 = await operator.reconciles().catch(() => Number.NaN);

  // Spec edits: alternate spec.logging.level on up to 10 servers in turn; latency until the StatefulSet's
  // generation moves (its pod template changed: the config hash annotation).
  const latencies: number[] = [];
  const levels = ["DEBUG", "INFO"];
  for (let i = 0; i < o.edits && !operator.exited(); i++) {
    const name = serverName(i % Math.min(10, o.n));
    const generation = tracker.statefulSet(name)?.metadata.generation ?? 0;
    const seen = tracker.waitForGeneration(name, generation);
    const begin = Date.now();
    await o.admin.mergePatch(DITTOSERVERS, { namespace, name }, { spec: { logging: { level: levels[Math.floor(i / Math.min(10, o.n)) % 2] } } });
    const at = await Promise.race([seen, sleep(30_000).then(() => Number.NaN)]);
    latencies.push(at - begin);
  }
  const editsTo = Date.now();
  const afterEdits = await operator.sample().catch(() => ({ rssBytes: Number.NaN, cpuSeconds: Number.NaN }));
  const operatorExited = operator.exited();
  await operator.stop();
  const oomKills = (await limited?.oomKills()) ?? 0;
  await limited?.remove();
  await tracker.stop();

  const audit = parseAuditLines(await readFile(o.auditLogPath, "utf8"), o.operatorUsername);
  const toSteady = countWrites(audit, { username: o.operatorUsername, namespace, from: t0, to: idleFrom });
  const idle = countWrites(audit, { username: o.operatorUsername, namespace, from: idleFrom, to: idleTo });
  const editWrites = countWrites(audit, { username: o.operatorUsername, namespace, from: idleTo, to: editsTo });
  const valid = latencies.filter((x) => Number.isFinite(x));
  const sharesOf = (count: WriteCount): number => Object.entries(count.byKind).filter(([kind]) => kind.startsWith(DITTOSHARES.plural)).reduce((sum, [, n]) => sum + n, 0);
  const sharesSettledAt = tracker.allSharesSettledAt();

  let floor: ScenarioResult["floor"] = null;
  // A failed floor (e.g. the cluster's node ports ran out) must not lose the operator's figures.
  if (o.floor) floor = await runFloor(o, childrenPerServer).catch((err: unknown) => { o.log(`  floor failed: ${String(err)}`); return null; });

  return {
    n: o.n,
    concurrency: o.concurrency,
    sharesPerServer: o.sharesPerServer,
    sharesSettledSeconds: shareCount === 0 ? null : sharesSettledAt ? rounded((sharesSettledAt - t0) / 1000) : null,
    shareWrites: { toSteady: sharesOf(toSteady), idle: sharesOf(idle), statusLines: Object.fromEntries(tracker.shareStatusLines()) },
    fileServiceType: o.fileServiceType ?? "LoadBalancer",
    finalizerPolicy: o.finalizerPolicy,
    operatorArgs: o.operatorArgs,
    nodeFlags: operator.nodeFlags,
    childrenPerServer,
    ownedPerServer: ownedObjectCount(namespace, serverName(0), o.fileServiceType),
    createSeconds: rounded((createdAt - t0) / 1000),
    childrenSeconds: tracker.allChildrenAt() ? rounded((tracker.allChildrenAt()! - t0) / 1000) : null,
    readySeconds: readyAt ? rounded((readyAt - t0) / 1000) : null,
    readyCount: tracker.readyCount(),
    toSteady,
    idle: { ...idle, seconds: rounded((idleTo - idleFrom) / 1000, 0), reconciles: reconciles1 - reconciles0 },
    editLatencyMs: latencies.length ? { samples: latencies.length, p50: rounded(percentile(valid, 50), 1), p99: rounded(percentile(valid, 99), 1), max: rounded(Math.max(...valid), 1) } : null,
    editWrites,
    rssMiB: { atReady: rounded(atReady.rssBytes / MiB, 1), afterIdle: rounded(afterIdle.rssBytes / MiB, 1), peak: rounded(operator.peakRssBytes() / MiB, 1) },
    heapUsedMiB: { atReady: rounded(heapAtReady / MiB, 1), afterIdle: rounded(heapAfterIdle / MiB, 1) },
    cpuSeconds: { toReady: rounded(atReady.cpuSeconds - cpu0), idle: rounded(afterIdle.cpuSeconds - cpuIdle0), edits: rounded(afterEdits.cpuSeconds - afterIdle.cpuSeconds) },
    floor,
    operatorExited,
    memoryLimitMiB: limited ? rounded(limited.limitBytes / MiB, 1) : null,
    oomKills,
  };
}

/** The same ConfigMap/Service/StatefulSet applies, issued directly with the operator's parallelism. */
async function runFloor(o: ScenarioOptions, childrenPerServer: number): Promise<NonNullable<ScenarioResult["floor"]>> {
  const namespace = `floor-n${o.n}-c${o.concurrency}-${Date.now().toString(36)}`;
  await o.admin.create(CORE.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  const perServer = Array.from({ length: o.n }, (_, i) => childrenOf(namespace, serverName(i), o.fileServiceType));
  const begin = Date.now();
  // Like the operator: each worker applies one server's children in order.
  await forEachParallel(o.n, o.concurrency, async (i) => {
    for (const child of perServer[i]!) await o.floorClient.apply(resourceFor(child.kind), child);
  });
  const seconds = (Date.now() - begin) / 1000;
  o.log(`  floor: ${o.n * childrenPerServer} applies with parallelism ${o.concurrency} in ${seconds.toFixed(1)} s`);
  return { writes: o.n * childrenPerServer, parallelism: o.concurrency, seconds: rounded(seconds) };
}

function resourceFor(kind: string): ResourceType {
  if (kind === "ConfigMap") return CORE.configMaps;
  if (kind === "Service") return CORE.services;
  if (kind === "StatefulSet") return CORE.statefulSets;
  if (kind === "NetworkPolicy") return NETWORK_POLICIES;
  throw new Error(`the floor does not write ${kind}`);
}
