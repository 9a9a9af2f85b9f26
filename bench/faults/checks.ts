/**
 * What the fault scenarios verify after the fact: every child of every DittoServer there exactly once (none lost,
 * none extra, none deleted and created again), from a final listing and the audit log.
 */
import { NETWORK_POLICIES } from "../../src/dittoserver/kinds.ts";
import { LABEL_INSTANCE, MANAGED_SELECTOR } from "../../src/dittoserver/labels.ts";
import type { KubeClient } from "../../src/runtime/client.ts";
import { CORE } from "../../src/runtime/resources.ts";
import type { AuditEvent } from "../scale/audit.ts";
import { ownedObjectKeys, serverName } from "../scale/objects.ts";

const CHILD_KINDS = [CORE.secrets, CORE.configMaps, CORE.services, NETWORK_POLICIES, CORE.statefulSets];

export interface ChildCensus {
  expected: number;
  found: number;
  /** Expected `Kind/name`s that do not exist. */
  lost: string[];
  /** Objects with the operator's labels that no server should have. */
  extra: string[];
}

/** Compares the children in `namespace` with what `n` fresh minimal servers should own. */
export async function childCensus(client: KubeClient, namespace: string, n: number): Promise<ChildCensus> {
  const expected = new Set<string>();
  for (let i = 0; i < n; i++) for (const key of ownedObjectKeys(namespace, serverName(i))) expected.add(key);
  const found = new Set<string>();
  for (const res of CHILD_KINDS) {
    const list = await client.listAll(res, { namespace, labelSelector: MANAGED_SELECTOR });
    for (const o of list.items) if (o.metadata.labels?.[LABEL_INSTANCE]) found.add(`${res.kind}/${o.metadata.name ?? ""}`);
  }
  return {
    expected: expected.size,
    found: found.size,
    lost: [...expected].filter((k) => !found.has(k)),
    extra: [...found].filter((k) => !expected.has(k)),
  };
}

/** Successful deletes of child kinds in `namespace` by `usernames` (a delete during a rollout means a re-creation). */
export function childDeletes(audit: readonly AuditEvent[], namespace: string, usernames: readonly string[]): number {
  const kinds = new Set<string>(CHILD_KINDS.map((r) => r.plural));
  return audit.filter((e) => e.namespace === namespace && usernames.includes(e.username) && e.verb === "delete" && kinds.has(e.resource) && (e.code ?? 0) < 300).length;
}

export function seconds(ms: number | undefined): number | null {
  return ms === undefined ? null : Number((ms / 1000).toFixed(1));
}
