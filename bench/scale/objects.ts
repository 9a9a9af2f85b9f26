/**
 * What the benchmark creates and what it expects: minimal DittoServers, and the children the operator's own pure
 * planner wants for them (ConfigMap, Services, StatefulSet), reused verbatim by the raw-write floor.
 */
import { API_VERSION, KIND } from "../../src/api/constants.ts";
import { DITTOSHARES } from "../../src/dittoshare/kind.ts";
import { withDefaults } from "../../src/api/defaulting.ts";
import { planPass } from "../../src/dittoserver/plan.ts";
import type { KubeObject } from "../../src/runtime/objects.ts";

/** The minimal sample's spec (deploy/samples/dittoserver-minimal.yaml). */
export const MINIMAL_SPEC = { storage: { metadataSize: "1Gi" } };

export function serverName(i: number): string {
  return `ds-${String(i).padStart(4, "0")}`;
}

/**
 * `fileServiceType` overrides `spec.adapterServices.type` (default LoadBalancer). A LoadBalancer Service takes node
 * ports from the cluster's range (30000-32767: 2768 ports), so 1000 servers with two adapters each do not fit in one
 * cluster with it; ClusterIP leaves the writes the same. Kwok pods run no DittoFS API, so their adapter list stays
 * unknown and no adapter Service is created: the type then changes nothing.
 */
export function minimalServer(namespace: string, name: string, fileServiceType?: string): KubeObject {
  const spec: Record<string, unknown> = structuredClone(MINIMAL_SPEC);
  if (fileServiceType) spec.adapterServices = { type: fileServiceType };
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, spec };
}

export function shareName(server: number, share: number): string {
  return `${serverName(server)}-sh-${String(share).padStart(2, "0")}`;
}

/** A DittoShare on server `server`: stores by name only (kwok pods have no API, so they are never created). */
export function minimalShare(namespace: string, server: number, share: number): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: DITTOSHARES.kind,
    metadata: { name: shareName(server, share), namespace },
    spec: { serverRef: { name: serverName(server) }, metadataStore: "meta", localBlockStore: "local" },
  };
}

function freshPlan(namespace: string, name: string, fileServiceType?: string): ReturnType<typeof planPass> {
  const server = withDefaults({ ...minimalServer(namespace, name, fileServiceType), metadata: { name, namespace, uid: "00000000-0000-4000-8000-000000000000" } });
  return planPass(server, { secrets: new Map() }, { jwt: new Uint8Array(32), admin: new Uint8Array(32) });
}

/** Every object the operator writes for a fresh minimal server: its generated Secrets plus `childrenOf`. */
export function ownedObjectCount(namespace: string, name: string, fileServiceType?: string): number {
  return ownedObjectKeys(namespace, name, fileServiceType).length;
}

/** `Kind/name` of every object the operator writes for a fresh minimal server (generated Secrets first). */
export function ownedObjectKeys(namespace: string, name: string, fileServiceType?: string): string[] {
  const plan = freshPlan(namespace, name, fileServiceType);
  const secrets = plan.writes.flatMap((w) => (w.resource.kind === "Secret" && w.op === "create" ? [w.object] : []));
  return [...secrets, ...childrenOf(namespace, name, fileServiceType)].map((o) => `${o.kind}/${o.metadata.name ?? ""}`);
}

/**
 * The ConfigMap, Services and StatefulSet the operator applies for a fresh minimal server, in its apply order.
 * Owner references are dropped: the floor's objects have no live owner (the garbage collector would delete them).
 */
export function childrenOf(namespace: string, name: string, fileServiceType?: string): KubeObject[] {
  const plan = freshPlan(namespace, name, fileServiceType);
  if (!plan.desired.some((o) => o.kind === "StatefulSet")) throw new Error(`the planner withholds the StatefulSet of a minimal server: ${plan.specProblems.join("; ")}`);
  return plan.desired.map((o) => {
    const copy = structuredClone(o);
    delete copy.metadata.ownerReferences;
    return copy;
  });
}
