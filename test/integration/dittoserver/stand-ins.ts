/**
 * What other operators and storage drivers bring to a real cluster, shared by the Percona, ServiceMonitor,
 * conditions and deploy RBAC tests: the optional CRDs (the real ServiceMonitor CRD, generated from the Prometheus
 * Operator's Go types by `hack/build-binaries.sh --crds`, and a strict PerconaPGCluster stand-in), the user Secret
 * the Percona operator would create, and volumes bound by hand for a class kwok does not provision (kwok binds only
 * claims of its own class, which does not allow expansion).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { PERCONA_CLUSTERS, SERVICE_MONITORS } from "../../../src/dittoserver/kinds.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import type { ResourceType } from "../../../src/runtime/resources.ts";
import { kubectl, testCrdDir, waitFor } from "../../controlplane/testenv.ts";

/** `<plural>.<group>`, the name the operator watches the CRD by. */
export function crdName(resource: ResourceType): string {
  return `${resource.plural}.${resource.group}`;
}

/** The CRD the Prometheus Operator v0.95 installs, generated from its Go types (see the file's header). */
export function serviceMonitorCrd(): KubeObject {
  return parse(readFileSync(join(testCrdDir(), "monitoring.coreos.com_servicemonitors.yaml"), "utf8")) as KubeObject;
}

// ---- PerconaPGCluster: a strict stand-in -------------------------------------------------------------------
// The module proxy refuses github.com/percona/percona-postgresql-operator/v2 (every version), so its CRD cannot be
// generated here. This schema holds exactly the fields src/dittoserver/percona.ts renders, with the types, bounds
// and required fields of Percona's pgv2.percona.com/v2 CRD as its documentation gives them (2.x, crVersion 2.8.0);
// anything else is unknown and rejected by a strictly validated write.

const str = { type: "string" };
const strings = { type: "array", items: str };
const obj = (properties: Record<string, object>, required?: string[]): object => ({ type: "object", properties, ...(required ? { required } : {}) });
const DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

const PERCONA_SPEC = obj(
  {
    crVersion: str,
    postgresVersion: { type: "integer", minimum: 12 },
    instances: {
      type: "array",
      minItems: 1,
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
      items: obj(
        {
          name: { type: "string", maxLength: 63, pattern: "^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$", default: "" },
          replicas: { type: "integer", format: "int32", minimum: 1, default: 1 },
          dataVolumeClaimSpec: obj(
            {
              accessModes: { ...strings, minItems: 1 },
              resources: obj({ requests: obj({ storage: { anyOf: [{ type: "integer" }, { type: "string" }], "x-kubernetes-int-or-string": true, pattern: "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$" } }, ["storage"]) }, ["requests"]),
              storageClassName: str,
            },
            ["accessModes", "resources"],
          ),
        },
        ["name", "dataVolumeClaimSpec"],
      ),
    },
    users: {
      type: "array",
      maxItems: 64,
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
      items: obj({ name: { type: "string", maxLength: 63, pattern: DNS_LABEL }, databases: { type: "array", "x-kubernetes-list-type": "set", items: { type: "string", minLength: 1 } } }, ["name"]),
    },
    backups: obj({
      enabled: { type: "boolean" },
      pgbackrest: obj({
        global: { type: "object", additionalProperties: str },
        configuration: { type: "array", items: obj({ secret: obj({ name: str }) }) },
        repos: {
          type: "array",
          minItems: 1,
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["name"],
          items: obj(
            {
              name: { type: "string", pattern: "^repo[1-4]" },
              s3: obj({ bucket: str, endpoint: str, region: str }, ["bucket", "endpoint", "region"]),
              schedules: obj({ full: { type: "string", minLength: 6 }, incremental: { type: "string", minLength: 6 } }),
            },
            ["name"],
          ),
        },
      }),
    }),
  },
  ["instances", "postgresVersion", "backups"],
);

export function perconaStandInCrd(): KubeObject {
  const { group, version, plural, kind } = PERCONA_CLUSTERS;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: crdName(PERCONA_CLUSTERS) },
    spec: {
      group,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames: ["pg"] },
      scope: "Namespaced",
      versions: [{
        name: version, served: true, storage: true, subresources: { status: {} },
        // status: only what the operator reads (the tests set it as the Percona operator would).
        schema: { openAPIV3Schema: obj({ apiVersion: str, kind: str, metadata: { type: "object" }, spec: PERCONA_SPEC, status: obj({ state: str }) }) },
      }],
    },
  };
}

/** The CRD installed for an optional resource the operator writes. */
function optionalCrd(resource: ResourceType): KubeObject {
  if (resource === SERVICE_MONITORS) return serviceMonitorCrd();
  if (resource === PERCONA_CLUSTERS) return perconaStandInCrd();
  throw new Error(`no CRD for ${crdName(resource)}`);
}

/** Applies the optional CRDs and waits until each is Established (the operator waits for the same condition). */
export async function installStandIns(resources: ResourceType[]): Promise<void> {
  // Server-side: the ServiceMonitor CRD is too large for the last-applied annotation of a client-side apply.
  const applied = await kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager=stand-ins", "-f", "-"], { input: resources.map((r) => JSON.stringify(optionalCrd(r))).join("\n") });
  assert.equal(applied.code, 0, applied.stderr);
  for (const r of resources) {
    await waitFor(`CRD ${crdName(r)} Established`, async () => {
      const got = await kubectl(["get", "crd", crdName(r), "-o", "jsonpath={.status.conditions[?(@.type==\"Established\")].status}"]);
      return got.stdout === "True" ? true : undefined;
    }, { timeoutMs: 30_000 });
  }
}

/** Deletes the optional CRDs (and with them every object of theirs) and waits until they are gone. */
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
