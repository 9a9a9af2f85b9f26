/**
 * What the benchmark creates and what it expects: minimal DittoServers, and the children the operator's own pure
 * planner wants for them (ConfigMap, Services, StatefulSet), reused verbatim by the raw-write floor.
 */
import { API_VERSION, KIND } from "../../src/api/constants.ts";
import { withDefaults } from "../../src/api/defaulting.ts";
import { planPass } from "../../src/dittoserver/plan.ts";
import type { KubeObject } from "../../src/runtime/objects.ts";

/** The minimal sample's spec (deploy/samples/dittoserver-minimal.yaml). */
export const MINIMAL_SPEC = { storage: { metadataSize: "1Gi" } };

export function serverName(i: number): string {
  return `ds-${String(i).padStart(4, "0")}`;
}

export function minimalServer(namespace: string, name: string): KubeObject {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, spec: structuredClone(MINIMAL_SPEC) };
}

function freshPlan(namespace: string, name: string): ReturnType<typeof planPass> {
  const server = withDefaults({ ...minimalServer(namespace, name), metadata: { name, namespace, uid: "00000000-0000-4000-8000-000000000000" } });
  return planPass(server, { secrets: new Map() }, { jwt: new Uint8Array(32), admin: new Uint8Array(32) });
}

/** Every object the operator writes for a fresh minimal server: its generated Secrets plus `childrenOf`. */
export function ownedObjectCount(namespace: string, name: string): number {
  const plan = freshPlan(namespace, name);
  return plan.generatedSecrets.length + childrenOf(namespace, name).length;
}

/**
 * The ConfigMap, Services and StatefulSet the operator applies for a fresh minimal server, in its apply order.
 * Owner references are dropped: the floor's objects have no live owner (the garbage collector would delete them).
 */
export function childrenOf(namespace: string, name: string): KubeObject[] {
  const plan = freshPlan(namespace, name);
  if (!plan.statefulSet) throw new Error(`the planner withholds the StatefulSet of a minimal server: ${plan.specProblems.join("; ")}`);
  return [plan.configMap, ...plan.services, plan.statefulSet].map((o) => {
    const copy = structuredClone(o);
    delete copy.metadata.ownerReferences;
    return copy;
  });
}
