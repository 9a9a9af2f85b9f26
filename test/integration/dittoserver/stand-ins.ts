/**
 * Stand-ins for what other operators and storage drivers bring to a real cluster, shared by the Percona,
 * conditions and deploy RBAC tests: an optional CRD (PerconaPGCluster, ServiceMonitor) with a schema that stores
 * anything, the user Secret the Percona operator would create, and volumes bound by hand for a class kwok does not
 * provision (kwok binds only claims of its own class, which does not allow expansion).
 */
import assert from "node:assert/strict";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import type { ResourceType } from "../../../src/runtime/resources.ts";
import { kubectl, waitFor } from "../../controlplane/testenv.ts";

/** `<plural>.<group>`, the name the operator watches the CRD by. */
export function crdName(resource: ResourceType): string {
  return `${resource.plural}.${resource.group}`;
}

/** A CRD serving `resource` with a status subresource and no schema beyond "any object". */
export function standInCrd(resource: ResourceType): KubeObject {
  const { group, version, plural, kind } = resource;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: crdName(resource) },
    spec: {
      group,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      scope: resource.namespaced ? "Namespaced" : "Cluster",
      versions: [{ name: version, served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
    },
  };
}

/** Applies the stand-in CRDs and waits until each is Established (the operator waits for the same condition). */
export async function installStandIns(resources: ResourceType[]): Promise<void> {
  const applied = await kubectl(["apply", "-f", "-"], { input: resources.map((r) => JSON.stringify(standInCrd(r))).join("\n") });
  assert.equal(applied.code, 0, applied.stderr);
  for (const r of resources) {
    await waitFor(`CRD ${crdName(r)} Established`, async () => {
      const got = await kubectl(["get", "crd", crdName(r), "-o", "jsonpath={.status.conditions[?(@.type==\"Established\")].status}"]);
      return got.stdout === "True" ? true : undefined;
    }, { timeoutMs: 30_000 });
  }
}

/** Deletes the stand-in CRDs (and with them every object of theirs) and waits until they are gone. */
export async function removeStandIns(resources: ResourceType[]): Promise<void> {
  for (const r of resources) await kubectl(["delete", "crd", crdName(r), "--ignore-not-found", "--wait=true"]);
}

const PERCONA_USER_KEYS = ["host", "port", "dbname", "user", "password"] as const;

/** The `<server>-postgres-pguser-dittofs` Secret the Percona operator writes, with only `keys` (default: all). */
export function perconaUserSecret(namespace: string, server: string, keys: readonly string[] = PERCONA_USER_KEYS): KubeObject {
  const all: Record<string, string> = { host: `${server}-postgres-pgbouncer`, port: "5432", dbname: "dittofs", user: "dittofs", password: "pw" };
  return { apiVersion: "v1", kind: "Secret", metadata: { name: `${server}-postgres-pguser-dittofs`, namespace }, stringData: Object.fromEntries(keys.map((k) => [k, all[k]!])) };
}

export function storageClass(name: string, provisioner: string, allowVolumeExpansion: boolean): KubeObject {
  return { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name }, provisioner, allowVolumeExpansion, volumeBindingMode: "Immediate", reclaimPolicy: "Delete" };
}

/** A 1Gi volume reserved for `namespace/claim` (the PV controller binds the claim through claimRef); never resized. */
export function preboundVolume(name: string, className: string, namespace: string, claim: string): KubeObject {
  return {
    apiVersion: "v1", kind: "PersistentVolume", metadata: { name },
    spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], storageClassName: className, persistentVolumeReclaimPolicy: "Retain", hostPath: { path: `/tmp/${name}` }, claimRef: { namespace, name: claim } },
  };
}
