/**
 * The rollout fault scenarios: the API server killed (-9) or stopped for a while during a rollout of N DittoServers,
 * and the leader killed with two replicas. Each returns a row of figures and the checks that decide PASS.
 */
import { readFile } from "node:fs/promises";
import { sleep } from "../scale/proc.ts";
import { countWrites, parseAuditLines } from "../scale/audit.ts";
import { childCensus, childDeletes, seconds } from "./checks.ts";
import type { FaultRow } from "./report.ts";
import { createServers, newNamespace, readLease, startReplica, stopAll, waitAllReady, waitLease } from "./rollout.ts";
import type { FaultContext, Replica } from "./rollout.ts";

const READY_TIMEOUT_MS = 600_000;
/** Let the rollout get going (children being written) before the fault. */
const MID_ROLLOUT_MS = 5_000;

/** The shipped Deployment: two replicas with leader election. */
async function twoReplicas(ctx: FaultContext, namespace: string): Promise<Replica[]> {
  return [await startReplica(ctx, namespace, "dittofs-operator-a", "operator-a"), await startReplica(ctx, namespace, "dittofs-operator-b", "operator-b")];
}

/** The checks every rollout row makes once the rollout ended. */
async function rolloutChecks(ctx: FaultContext, namespace: string, replicas: readonly Replica[], ready: { at: number | undefined; ready: number }): Promise<{ figures: FaultRow["figures"]; checks: FaultRow["checks"] }> {
  const census = await childCensus(ctx.admin, namespace, ctx.n);
  const audit = parseAuditLines(await readFile(ctx.cp.auditLogPath!, "utf8"));
  const deletes = childDeletes(audit, namespace, replicas.map((r) => r.user));
  const exited = replicas.filter((r) => r.process.exited()).length;
  if (census.lost.length || census.extra.length) ctx.log(`  lost ${census.lost.slice(0, 5).join(", ")} extra ${census.extra.slice(0, 5).join(", ")}`);
  return {
    figures: { Ready: `${ready.ready}/${ctx.n}`, children: `${census.found}/${census.expected}`, lost: census.lost.length, extra: census.extra.length, "child deletes": deletes, "operator exits": exited },
    checks: {
      [`all ${ctx.n} Ready`]: ready.ready >= ctx.n,
      "no child lost": census.lost.length === 0,
      "no extra child": census.extra.length === 0,
      "no child deleted (re-created)": deletes === 0,
    },
  };
}

/** kill -9 of the API server mid-rollout, started again at once. */
export async function apiserverKill(ctx: FaultContext): Promise<FaultRow> {
  const namespace = await newNamespace(ctx, "kill9");
  ctx.namespaces.push(namespace);
  const replicas = await twoReplicas(ctx, namespace);
  const t0 = Date.now();
  await createServers(ctx, namespace, ctx.n);
  await sleep(MID_ROLLOUT_MS);
  ctx.log("  kill -9 kube-apiserver");
  const killedAt = Date.now();
  await ctx.cp.killApiServer();
  await ctx.cp.startApiServer();
  const backAt = Date.now();
  ctx.log(`  kube-apiserver back after ${((backAt - killedAt) / 1000).toFixed(1)} s`);
  const ready = await waitAllReady(ctx.admin, namespace, ctx.n, READY_TIMEOUT_MS, ctx.log);
  const result = await rolloutChecks(ctx, namespace, replicas, ready);
  await stopAll(replicas);
  return {
    scenario: `kube-apiserver kill -9 mid-rollout (N=${ctx.n}, 2 replicas)`,
    figures: { "apiserver down s": seconds(backAt - killedAt), "recovery s (API back → all Ready)": seconds(ready.at && ready.at - backAt), "Ready s": seconds(ready.at && ready.at - t0), ...result.figures },
    checks: { ...result.checks, "no operator exit": result.figures["operator exits"] === 0 },
  };
}

/** The API server stopped for `outageMs` mid-rollout (issue 15 item 3): the leader keeps its process and its lease. */
export async function apiserverOutage(ctx: FaultContext, outageMs: number): Promise<FaultRow> {
  const namespace = await newNamespace(ctx, "outage");
  ctx.namespaces.push(namespace);
  const replicas = await twoReplicas(ctx, namespace);
  await waitLease(ctx.admin, namespace, (l) => !!l.spec?.holderIdentity, 60_000);
  const holderBefore = (await readLease(ctx.admin, namespace))?.spec?.holderIdentity ?? "";
  const t0 = Date.now();
  await createServers(ctx, namespace, ctx.n);
  await sleep(MID_ROLLOUT_MS);
  ctx.log(`  stopping kube-apiserver for ${outageMs / 1000} s`);
  await ctx.cp.stopApiServer();
  const downAt = Date.now();
  await sleep(outageMs);
  await ctx.cp.startApiServer();
  const backAt = Date.now();
  // The lease renewed after the API came back: whoever holds it then leads the rest of the rollout.
  const renewedAt = await waitLease(ctx.admin, namespace, (l) => Date.parse(l.spec?.renewTime ?? "") > backAt && !!l.spec?.holderIdentity, 60_000);
  const lease = await readLease(ctx.admin, namespace);
  const ready = await waitAllReady(ctx.admin, namespace, ctx.n, READY_TIMEOUT_MS, ctx.log);
  const result = await rolloutChecks(ctx, namespace, replicas, ready);
  await stopAll(replicas);
  const logs = await Promise.all(replicas.map((r) => readFile(ctx.operatorLogs.find((p) => p.endsWith(`${namespace}.${r.podName}.log`))!, "utf8")));
  const lost = logs.reduce((sum, text) => sum + text.split("leadership lost").length - 1, 0);
  return {
    scenario: `kube-apiserver stopped ${outageMs / 1000} s mid-rollout (N=${ctx.n}, 2 replicas)`,
    figures: {
      "apiserver down s": seconds(backAt - downAt),
      "leases lost": lost,
      "lease renewed s after API back": seconds(renewedAt && renewedAt - backAt),
      holder: `${holderBefore} → ${lease?.spec?.holderIdentity ?? "?"}`,
      "recovery s (API back → all Ready)": seconds(ready.at && ready.at - backAt),
      "Ready s": seconds(ready.at && ready.at - t0),
      ...result.figures,
    },
    checks: {
      ...result.checks,
      "no operator exit": result.figures["operator exits"] === 0,
      "lease renewed within a lease duration (15 s) of the API's return": renewedAt !== undefined && renewedAt - backAt < 15_000,
    },
  };
}

/** kill -9 of the leader mid-rollout with two replicas: takeover time, and no write by the follower before it. */
export async function leaderKill(ctx: FaultContext): Promise<FaultRow> {
  const namespace = await newNamespace(ctx, "leader");
  ctx.namespaces.push(namespace);
  const replicas = await twoReplicas(ctx, namespace);
  await waitLease(ctx.admin, namespace, (l) => !!l.spec?.holderIdentity, 60_000);
  const holder = (await readLease(ctx.admin, namespace))?.spec?.holderIdentity;
  const leader = replicas.find((r) => r.podName === holder);
  const follower = replicas.find((r) => r.podName !== holder)!;
  if (!leader) throw new Error(`the lease names ${holder ?? "nobody"}, not one of the replicas`);
  const t0 = Date.now();
  await createServers(ctx, namespace, ctx.n);
  await sleep(MID_ROLLOUT_MS);
  ctx.log(`  kill -9 the leader ${leader.podName}`);
  const killedAt = Date.now();
  await leader.process.kill();
  const tookOverAt = await waitLease(ctx.admin, namespace, (l) => l.spec?.holderIdentity === follower.podName, 120_000);
  const ready = await waitAllReady(ctx.admin, namespace, ctx.n, READY_TIMEOUT_MS, ctx.log);
  const result = await rolloutChecks(ctx, namespace, replicas, ready);
  await stopAll(replicas);

  // From the audit log: the follower's first successful Lease write is the takeover; any other write before it
  // would be a second writer.
  const audit = parseAuditLines(await readFile(ctx.cp.auditLogPath!, "utf8"), follower.user);
  const leaseWrite = audit.find((e) => e.resource === "leases" && e.namespace === namespace && (e.verb === "update" || e.verb === "create") && (e.code ?? 0) < 300);
  const takeoverAudit = leaseWrite?.at;
  const before = takeoverAudit === undefined ? undefined : countWrites(audit.filter((e) => e.resource !== "leases"), { username: follower.user, namespace, from: 0, to: takeoverAudit });
  const leaderWritesAfterKill = countWrites(parseAuditLines(await readFile(ctx.cp.auditLogPath!, "utf8"), leader.user), { username: leader.user, namespace, from: killedAt + 1000, to: Date.now() });
  const limitMs = 15_000 + 2 * 2_000 * 2.2 + 1_000;
  return {
    scenario: `leader kill -9 mid-rollout (N=${ctx.n}, 2 replicas)`,
    figures: {
      "takeover s": seconds(tookOverAt && tookOverAt - killedAt),
      "follower writes before takeover (+events)": before ? `${before.writes} (+${before.events})` : null,
      "follower writes after": countWrites(audit, { username: follower.user, namespace, from: takeoverAudit ?? 0, to: Date.now() }).writes,
      "Ready s": seconds(ready.at && ready.at - t0),
      ...result.figures,
    },
    checks: {
      ...result.checks,
      "takeover seen in the audit log": takeoverAudit !== undefined,
      "no write by the follower before the takeover": before !== undefined && before.writes + before.events === 0,
      "no write by the killed leader after the kill": leaderWritesAfterKill.writes + leaderWritesAfterKill.events === 0,
      [`takeover within ${(limitMs / 1000).toFixed(1)} s (lease 15 s + 2 jittered retry periods + 1 s)`]: tookOverAt !== undefined && tookOverAt - killedAt <= limitMs,
    },
  };
}
