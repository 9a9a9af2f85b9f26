/**
 * Watches one namespace the way a user would see convergence: when each DittoServer has all its children
 * (ConfigMap, Services, NetworkPolicy, StatefulSet) and when it is phase Running with Ready=True; StatefulSet generations for the
 * spec-edit latency. Informers of the runtime, on the bench's own (admin) client.
 */
import { LABEL_INSTANCE, MANAGED_SELECTOR } from "../../src/dittoserver/labels.ts";
import { DITTOSERVERS, NETWORK_POLICIES } from "../../src/dittoserver/kinds.ts";
import { DITTOSHARES } from "../../src/dittoshare/kind.ts";
import type { KubeClient } from "../../src/runtime/client.ts";
import { Informer } from "../../src/runtime/informer.ts";
import type { KubeObject } from "../../src/runtime/objects.ts";
import { CORE } from "../../src/runtime/resources.ts";

export interface Tracker {
  /** ms timestamp when every one of `count` servers had `childrenPerServer` children, or undefined. */
  allChildrenAt(): number | undefined;
  allReadyAt(): number | undefined;
  childrenSeen(): number;
  readyCount(): number;
  statefulSet(name: string): KubeObject | undefined;
  /** Per server, every status it was seen with, as `phase Type=Status/Reason …` (consecutive duplicates dropped). */
  statusPaths(): Map<string, string[]>;
  /** ms timestamp when every one of `shareCount` DittoShares had a status for its generation with Synced set. */
  allSharesSettledAt(): number | undefined;
  sharesSettled(): number;
  /** Every DittoShare status line seen, with how many shares showed it. */
  shareStatusLines(): Map<string, number>;
  /** Resolves with the time the StatefulSet of `server` shows generation > `after`. */
  waitForGeneration(server: string, after: number): Promise<number>;
  stop(): Promise<void>;
}

/**
 * What a status write changed, in one line: the phase, the ready count and each condition's status, reason and
 * message (the server's own name replaced by `<name>`, so servers that went the same way read the same).
 */
function statusLine(obj: KubeObject): string {
  const status = obj.status as { phase?: string; ready?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] } | undefined;
  if (!status) return "(none)";
  const name = obj.metadata.name ?? "";
  const conditions = (status.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason ?? ""} "${(c.message ?? "").replaceAll(name, "<name>")}"`);
  return [`${status.phase ?? "-"} ${status.ready ?? "-"}`, ...conditions].join("; ");
}

function isReady(obj: KubeObject): boolean {
  const status = obj.status as { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
  return status?.phase === "Running" && !!status.conditions?.some((c) => c.type === "Ready" && c.status === "True");
}

/** A DittoShare has settled once its status is for its generation and says whether it is Synced. */
function shareSettled(obj: KubeObject): boolean {
  const status = obj.status as { observedGeneration?: number; conditions?: { type: string }[] } | undefined;
  return status?.observedGeneration === obj.metadata.generation && !!status?.conditions?.some((c) => c.type === "Synced");
}

export async function trackNamespace(client: KubeClient, namespace: string, count: number, childrenPerServer: number, shareCount = 0): Promise<Tracker> {
  const childKeys = new Set<string>();
  const ready = new Set<string>();
  let allChildrenAt: number | undefined;
  let allReadyAt: number | undefined;
  const waiters = new Map<string, { after: number; resolve: (at: number) => void }>();

  const children = [CORE.configMaps, CORE.services, NETWORK_POLICIES, CORE.statefulSets].map((resource) => new Informer({ resource, client, selector: { namespace, labelSelector: MANAGED_SELECTOR } }));
  for (const informer of children) {
    informer.addEventHandler({
      add: (obj) => {
        if (!obj.metadata.labels?.[LABEL_INSTANCE]) return;
        childKeys.add(`${obj.kind}/${obj.metadata.name ?? ""}`);
        if (allChildrenAt === undefined && childKeys.size >= count * childrenPerServer) allChildrenAt = Date.now();
      },
      update: (_old, obj) => {
        if (obj.kind !== "StatefulSet") return;
        const server = obj.metadata.labels?.[LABEL_INSTANCE] ?? "";
        const waiter = waiters.get(server);
        if (waiter && (obj.metadata.generation ?? 0) > waiter.after) {
          waiters.delete(server);
          waiter.resolve(Date.now());
        }
      },
    });
  }
  const servers = new Informer({ resource: DITTOSERVERS, client, selector: { namespace } });
  const paths = new Map<string, string[]>();
  const onServer = (obj: KubeObject): void => {
    const name = obj.metadata.name ?? "";
    const path = paths.get(name) ?? [];
    const line = statusLine(obj);
    if (path.at(-1) !== line) paths.set(name, [...path, line]);
    if (!isReady(obj)) return;
    ready.add(name);
    if (allReadyAt === undefined && ready.size >= count) allReadyAt = Date.now();
  };
  servers.addEventHandler({ add: onServer, update: (_old, obj) => { onServer(obj); } });
  const shares = new Informer({ resource: DITTOSHARES, client, selector: { namespace } });
  const settled = new Set<string>();
  const shareLines = new Map<string, Set<string>>();
  let allSharesSettledAt: number | undefined;
  const onShare = (obj: KubeObject): void => {
    const name = obj.metadata.name ?? "";
    // Servers' names and pod IPs replaced, so shares that went the same way read the same.
    const line = statusLine(obj)
      .replaceAll((obj.spec as { serverRef?: { name?: string } } | undefined)?.serverRef?.name ?? name, "<server>")
      .replaceAll(/\b\d{1,3}(\.\d{1,3}){3}\b/g, "<ip>");
    shareLines.set(line, (shareLines.get(line) ?? new Set()).add(name));
    if (!shareSettled(obj)) return;
    settled.add(name);
    if (allSharesSettledAt === undefined && settled.size >= shareCount) allSharesSettledAt = Date.now();
  };
  shares.addEventHandler({ add: onShare, update: (_old, obj) => { onShare(obj); } });
  const all = [...children, servers, ...(shareCount > 0 ? [shares] : [])];
  for (const informer of all) informer.start();
  await Promise.all(all.map((i) => i.waitForSync()));
  const statefulSets = children[2]!;

  return {
    allChildrenAt: () => allChildrenAt,
    allReadyAt: () => allReadyAt,
    childrenSeen: () => childKeys.size,
    readyCount: () => ready.size,
    statefulSet: (name) => statefulSets.get(`${namespace}/${name}`),
    statusPaths: () => paths,
    allSharesSettledAt: () => (shareCount === 0 ? undefined : allSharesSettledAt),
    sharesSettled: () => settled.size,
    shareStatusLines: () => new Map([...shareLines].map(([line, names]) => [line, names.size])),
    waitForGeneration: (server, after) => new Promise((resolve) => { waiters.set(server, { after, resolve }); }),
    stop: async () => { await Promise.all(all.map((i) => i.stop())); },
  };
}
