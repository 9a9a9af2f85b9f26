/**
 * The child-kind registry against what ships: the controller's watches derive from it, and the shipped
 * ClusterRole grants what the registry's kinds and the controller's other sources need (and the registry's
 * kinds nothing the code does not do with them).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { CHILD_KINDS } from "../../../src/dittoserver/children.ts";
import { dittoServerController } from "../../../src/dittoserver/controller.ts";
import { NETWORK_POLICIES, PERCONA_CLUSTERS } from "../../../src/dittoserver/kinds.ts";
import { KubeClient } from "../../../src/runtime/client.ts";
import { Manager } from "../../../src/runtime/manager.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import type { ResourceType } from "../../../src/runtime/resources.ts";

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const role = parse(readFileSync(new URL("../../../deploy/base/cluster-role.yaml", import.meta.url), "utf8")) as { rules: Rule[] };

function granted(res: ResourceType): Set<string> {
  const rules = role.rules.filter((r) => r.apiGroups.includes(res.group) && r.resources.includes(res.plural));
  return new Set(rules.flatMap((r) => r.verbs));
}

/** Verbs the code uses on a child kind: informer (list, watch), server-side apply (patch, create), pruning (delete). */
function needed(kind: (typeof CHILD_KINDS)[number]): string[] {
  return ["list", "watch", "create", "patch", ...(kind.prune ? ["delete"] : [])];
}

/**
 * Deletion reads the Percona cluster from the API and deletes it (deleteWithServer); a switch from the reference
 * operator deletes its StatefulSet and reads its NetworkPolicies by name (takeover.ts): beyond the registry's verbs.
 */
const EXTRA: Map<ResourceType, string[]> = new Map([
  [PERCONA_CLUSTERS, ["get", "delete"]],
  [CORE.statefulSets, ["delete"]],
  [NETWORK_POLICIES, ["get"]],
]);

test("the shipped ClusterRole grants exactly what each child kind of the registry needs", () => {
  for (const kind of CHILD_KINDS) {
    const want = [...needed(kind), ...(EXTRA.get(kind.resource) ?? [])];
    assert.deepEqual([...granted(kind.resource)].sort(), [...new Set(want)].sort(), `${kind.resource.plural}.${kind.resource.group || "core"}`);
  }
});

test("the controller watches every kind of the registry (owned, or by label) and the role lets it list and watch each source", () => {
  const client = new KubeClient({ server: "https://127.0.0.1:1", tls: { rejectUnauthorized: true }, authHeaders: () => Promise.resolve({}) }, { fieldManager: "test" });
  const ctrl = dittoServerController(new Manager({ fieldManager: "test", client, logLevel: "silent" }));
  const sources = ctrl.spec.sources;
  for (const kind of CHILD_KINDS) {
    const source = sources.find((s) => s.resource === kind.resource);
    assert.ok(source, `${kind.resource.kind} is watched`);
    assert.equal(source.optionalCrd, kind.optionalCrd, `${kind.resource.kind}: optional exactly when the registry says so`);
  }
  for (const source of sources) {
    const verbs = granted(source.resource);
    assert.ok(verbs.has("list") && verbs.has("watch"), `list and watch ${source.resource.plural}`);
  }
});
