/**
 * Fault scenarios on the children and the secrets: hostile edits to every child kind (reverted) carrying foreign
 * labels and annotations (kept); many DittoServers deleted at once (PVCs kept, each finalizer gone within the
 * deletion timeout); the generated Secrets' values nowhere in logs, events, statuses or ConfigMaps.
 */
import { readFile } from "node:fs/promises";
import { DITTOSERVERS, NETWORK_POLICIES, OPERATOR_DEFAULTS, PVCS } from "../../src/dittoserver/kinds.ts";
import { LABEL_INSTANCE, MANAGED_SELECTOR } from "../../src/dittoserver/labels.ts";
import type { KubeObject } from "../../src/runtime/objects.ts";
import { CORE } from "../../src/runtime/resources.ts";
import type { ResourceType } from "../../src/runtime/resources.ts";
import { ownedObjectKeys, serverName } from "../scale/objects.ts";
import { forEachParallel, percentile, sleep } from "../scale/proc.ts";
import { seconds } from "./checks.ts";
import type { FaultRow } from "./report.ts";
import { createServers, newNamespace, startReplica, waitAllReady } from "./rollout.ts";
import type { FaultContext } from "./rollout.ts";

const FOREIGN = { labels: { "example.com/foreign": "kept" }, annotations: { "example.com/foreign-note": "kept" } };
const REVERT_TIMEOUT_MS = 60_000;
const CORE_EVENTS: ResourceType = { group: "", version: "v1", plural: "events", kind: "Event", namespaced: true };
const RESOURCES: Record<string, ResourceType> = { Secret: CORE.secrets, ConfigMap: CORE.configMaps, Service: CORE.services, NetworkPolicy: NETWORK_POLICIES, StatefulSet: CORE.statefulSets };

type Json = Record<string, unknown>;

/** A hostile merge patch on a field the operator sets, and how to tell it was put back. */
interface HostileEdit {
  what: string;
  patch: Json;
  reverted: (now: KubeObject) => boolean;
}

function firstKey(map: unknown): string {
  const key = Object.keys((map ?? {})).sort()[0];
  if (key === undefined) throw new Error("nothing to edit");
  return key;
}

function hostileEdit(original: KubeObject): HostileEdit {
  const metadata = FOREIGN;
  const spec = (original.spec ?? {}) as Json;
  switch (original.kind) {
    case "Secret": {
      const key = firstKey(original.data);
      return { what: `data.${key} removed`, patch: { metadata, data: { [key]: null } }, reverted: (o) => typeof (o.data as Json | undefined)?.[key] === "string" };
    }
    case "ConfigMap": {
      const key = firstKey(original.data);
      const value = (original.data as Json)[key];
      return { what: `data.${key} replaced`, patch: { metadata, data: { [key]: "hostile" } }, reverted: (o) => (o.data as Json | undefined)?.[key] === value };
    }
    case "Service": {
      const key = firstKey(spec.selector);
      const value = (spec.selector as Json)[key];
      return { what: `spec.selector.${key} replaced`, patch: { metadata, spec: { selector: { [key]: "hostile" } } }, reverted: (o) => ((o.spec as Json).selector as Json | undefined)?.[key] === value };
    }
    case "NetworkPolicy": {
      // A merge patch replaces lists: every ingress rule gone would block all traffic to the pod.
      const rules = (spec.ingress as unknown[]).length;
      return { what: "spec.ingress emptied", patch: { metadata, spec: { ingress: [] } }, reverted: (o) => (((o.spec as Json).ingress as unknown[] | undefined) ?? []).length === rules };
    }
    case "StatefulSet":
      return { what: "spec.replicas 3", patch: { metadata, spec: { replicas: 3 } }, reverted: (o) => (o.spec as Json).replicas === spec.replicas };
    default:
      throw new Error(`no hostile edit for ${original.kind}`);
  }
}

function keptForeign(o: KubeObject): boolean {
  return o.metadata.labels?.["example.com/foreign"] === "kept" && o.metadata.annotations?.["example.com/foreign-note"] === "kept";
}

/** Polls `ref` every 100 ms until `done` holds; ms it took, or undefined at the timeout. */
async function until(ctx: FaultContext, res: ResourceType, namespace: string, name: string, done: (o: KubeObject | undefined) => boolean): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start < REVERT_TIMEOUT_MS) {
    if (done(await ctx.admin.getOrUndefined(res, { namespace, name }))) return Date.now() - start;
    await sleep(100);
  }
  return undefined;
}

/** Every child kind of one Ready server edited in turn (foreign metadata added in the same patch), then its ConfigMap deleted. */
export async function hostileEdits(ctx: FaultContext): Promise<FaultRow> {
  const namespace = await newNamespace(ctx, "edits");
  ctx.namespaces.push(namespace);
  const replica = await startReplica(ctx, namespace, "dittofs-operator", "operator-0");
  await createServers(ctx, namespace, 1);
  const ready = await waitAllReady(ctx.admin, namespace, 1, 120_000, ctx.log);
  const figures: FaultRow["figures"] = {};
  const checks: FaultRow["checks"] = { "server Ready": ready.at !== undefined };
  let configMap: string | undefined;
  for (const key of ownedObjectKeys(namespace, serverName(0))) {
    const [kind, name] = key.split("/") as [string, string];
    const res = RESOURCES[kind]!;
    if (kind === "ConfigMap") configMap = name;
    const edit = hostileEdit(await ctx.admin.get(res, { namespace, name }));
    await ctx.admin.mergePatch(res, { namespace, name }, edit.patch);
    const took = await until(ctx, res, namespace, name, (o) => !!o && edit.reverted(o));
    const now = await ctx.admin.get(res, { namespace, name });
    figures[`${key} ${edit.what} reverted s`] = seconds(took);
    checks[`${key}: ${edit.what} reverted`] = took !== undefined;
    checks[`${key}: foreign label and annotation kept`] = keptForeign(now);
  }
  if (configMap) {
    const before = await ctx.admin.get(CORE.configMaps, { namespace, name: configMap });
    await ctx.admin.delete(CORE.configMaps, { namespace, name: configMap });
    const took = await until(ctx, CORE.configMaps, namespace, configMap, (o) => !!o && o.metadata.uid !== before.metadata.uid && !o.metadata.deletionTimestamp);
    figures[`ConfigMap/${configMap} deleted → re-created s`] = seconds(took);
    checks[`ConfigMap/${configMap}: re-created after a delete`] = took !== undefined;
  }
  await replica.process.stop();
  return { scenario: "hostile edits to every child kind, with foreign labels and annotations (1 server)", figures, checks };
}

/** `count` Ready DittoServers deleted at once. */
export async function massDelete(ctx: FaultContext, count: number): Promise<FaultRow> {
  const namespace = await newNamespace(ctx, "delete");
  const replica = await startReplica(ctx, namespace, "dittofs-operator", "operator-0");
  await createServers(ctx, namespace, count);
  const ready = await waitAllReady(ctx.admin, namespace, count, 600_000, ctx.log);
  const pvcsBefore = (await ctx.admin.listAll(PVCS, { namespace })).items.length;
  ctx.log(`  ${ready.ready}/${count} Ready, ${pvcsBefore} PVCs; deleting every DittoServer`);
  const deletedAt = new Map<string, number>();
  await forEachParallel(count, 16, async (i) => {
    deletedAt.set(serverName(i), Date.now());
    await ctx.admin.delete(DITTOSERVERS, { namespace, name: serverName(i) });
  });
  const timeoutMs = OPERATOR_DEFAULTS.deletionPodTimeoutMs;
  // Where the time goes, per server, from its delete request: its StatefulSet scaled to 0 (the operator's first
  // pass), its pod gone (the StatefulSet controller and kwok), its finalizer gone (the operator's last pass).
  const goneAfter = new Map<string, number>();
  const scaledAfter = new Map<string, number>();
  const podGoneAfter = new Map<string, number>();
  const deadline = Date.now() + timeoutMs + 120_000;
  while (goneAfter.size < count && Date.now() < deadline) {
    const [servers, sets, pods] = await Promise.all([DITTOSERVERS, CORE.statefulSets, CORE.pods].map((r) => ctx.admin.listAll(r, { namespace })));
    const present = new Set(servers!.items.map((o) => o.metadata.name));
    const scaled = new Set(sets!.items.filter((o) => (o.spec as { replicas?: number }).replicas === 0).map((o) => o.metadata.name));
    const running = new Set(pods!.items.map((o) => o.metadata.labels?.[LABEL_INSTANCE]));
    const now = Date.now();
    for (const [name, at] of deletedAt) {
      if (!present.has(name) && !goneAfter.has(name)) goneAfter.set(name, now - at);
      if ((scaled.has(name) || !present.has(name)) && !scaledAfter.has(name)) scaledAfter.set(name, now - at);
      if (!running.has(name) && !podGoneAfter.has(name)) podGoneAfter.set(name, now - at);
    }
    await sleep(500);
  }
  const pvcsAfter = (await ctx.admin.listAll(PVCS, { namespace })).items.filter((p) => !p.metadata.deletionTimestamp).length;
  await replica.process.stop();
  const times = [...goneAfter.values()];
  const max = times.length ? Math.max(...times) : Number.NaN;
  const spread = (m: Map<string, number>): string => {
    const v = [...m.values()];
    return v.length ? `${(percentile(v, 50) / 1000).toFixed(1)} / ${(Math.max(...v) / 1000).toFixed(1)}` : "-";
  };
  return {
    scenario: `${count} DittoServers deleted at once`,
    figures: {
      "Ready before": `${ready.ready}/${count}`,
      "PVCs before → after": `${pvcsBefore} → ${pvcsAfter}`,
      "PVCs kept %": pvcsBefore ? Number(((100 * pvcsAfter) / pvcsBefore).toFixed(1)) : null,
      gone: `${goneAfter.size}/${count}`,
      "StatefulSet scaled to 0 p50 / max s": spread(scaledAfter),
      "pod gone p50 / max s": spread(podGoneAfter),
      "finalizer gone p50 / max s": `${(percentile(times, 50) / 1000).toFixed(1)} / ${(max / 1000).toFixed(1)}`,
      "deletion timeout s": timeoutMs / 1000,
    },
    checks: {
      [`all ${count} Ready first`]: ready.ready >= count,
      "a PVC per server before": pvcsBefore >= count,
      "PVCs 100 % kept": pvcsBefore > 0 && pvcsAfter === pvcsBefore,
      "every DittoServer gone": goneAfter.size === count,
      "each finalizer gone within the deletion timeout": goneAfter.size === count && max <= timeoutMs,
    },
  };
}

function occurrences(haystack: string, needles: readonly string[]): number {
  return needles.reduce((sum, n) => sum + haystack.split(n).length - 1, 0);
}

/** The values of every generated Secret of the earlier scenarios, searched for in everything the operator writes or logs. */
export async function secretsNeverLeak(ctx: FaultContext): Promise<FaultRow> {
  const values = new Set<string>();
  let secrets = 0;
  const haystacks = { "operator logs": "", events: "", "DittoServer statuses": "", ConfigMaps: "" };
  for (const namespace of ctx.namespaces) {
    for (const s of (await ctx.admin.listAll(CORE.secrets, { namespace, labelSelector: MANAGED_SELECTOR })).items) {
      secrets++;
      for (const encoded of Object.values((s.data ?? {}) as Record<string, string>)) {
        const decoded = Buffer.from(encoded, "base64").toString("utf8");
        for (const v of [encoded, decoded]) if (v.length >= 12) values.add(v);
      }
    }
    for (const res of [CORE.events, CORE_EVENTS]) haystacks.events += JSON.stringify((await ctx.admin.listAll(res, { namespace })).items);
    haystacks["DittoServer statuses"] += JSON.stringify((await ctx.admin.listAll(DITTOSERVERS, { namespace })).items.map((o) => o.status));
    haystacks.ConfigMaps += JSON.stringify((await ctx.admin.listAll(CORE.configMaps, { namespace })).items);
  }
  for (const path of ctx.operatorLogs) haystacks["operator logs"] += await readFile(path, "utf8");
  const needles = [...values];
  const figures: FaultRow["figures"] = { Secrets: secrets, "values searched (raw + base64)": needles.length };
  const checks: FaultRow["checks"] = { "generated Secrets found": secrets > 0 && needles.length > 0 };
  for (const [source, text] of Object.entries(haystacks)) {
    const hits = occurrences(text, needles);
    figures[`${source} KiB / hits`] = `${(text.length / 1024).toFixed(0)} / ${hits}`;
    checks[`no secret value in ${source}`] = hits === 0 && text.length > 0;
  }
  return { scenario: `generated Secret values never in logs, events, statuses, ConfigMaps (${ctx.namespaces.length} namespaces)`, figures, checks };
}
