/**
 * Everything the operator would put in the cluster for one DittoServer's pod, made with the real builders:
 * the defaulted DittoServer, its ConfigMap, its StatefulSet (with the real config hash) and the Secrets the pod
 * reads — generated ones from the builders, the user's and Percona's from ./fixtures.ts.
 */
import { randomBytes } from "node:crypto";
import { withDefaults } from "../../src/api/defaulting.ts";
import type { DittoServer } from "../../src/api/types.ts";
import { desiredConfigMap, renderConfig } from "../../src/dittoserver/config.ts";
import { configHash } from "../../src/dittoserver/hash.ts";
import { consumedSecrets, referencedSecrets } from "../../src/dittoserver/secretrefs.ts";
import { desiredAdminSecret, desiredJwtSecret, JWT_SECRET_BYTES, ADMIN_PASSWORD_BYTES } from "../../src/dittoserver/secrets.ts";
import { desiredServices } from "../../src/dittoserver/services.ts";
import { desiredStatefulSet } from "../../src/dittoserver/statefulset.ts";
import type { KubeObject } from "../../src/runtime/objects.ts";
import { perconaUserSecretData, tlsSecretData, userValue } from "./fixtures.ts";
import type { FixtureResources } from "./fixtures.ts";

export const NAMESPACE = "contract";

export interface RenderedPod {
  server: DittoServer;
  config: string;
  configMap: KubeObject;
  statefulSet: KubeObject;
  secrets: Map<string, KubeObject>;
  configMaps: Map<string, KubeObject>;
  /** The Services the operator creates next to the pod (the kubelet turns them into env vars). */
  services: KubeObject[];
  /** The admin password, read from the Secret key the pod's env consumes. */
  adminPassword: string;
}

function secretObject(name: string, data: Record<string, string | Buffer>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: NAMESPACE },
    type: "Opaque",
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
  };
}

function addKey(secrets: Map<string, KubeObject>, name: string, key: string, value: string | Buffer): void {
  const existing = secrets.get(name) ?? secretObject(name, {});
  (existing.data as Record<string, string>)[key] = Buffer.from(value).toString("base64");
  secrets.set(name, existing);
}

/** A manifest (e.g. a sample) as the API server would store it, in the test namespace. */
export function defaulted(manifest: unknown): DittoServer {
  const server = withDefaults(manifest);
  server.metadata = { ...server.metadata, namespace: NAMESPACE, uid: "00000000-0000-4000-8000-000000000001", generation: 1 };
  return server;
}

/**
 * Renders the pod. `existing` Secrets (a previous render's, possibly edited by the test) win over fresh ones,
 * as in a cluster: generated Secrets are created once and never regenerated, user Secrets stay as the user left them.
 */
export function renderPod(server: DittoServer, resources: FixtureResources, existing?: ReadonlyMap<string, KubeObject>): RenderedPod {
  const secrets = new Map<string, KubeObject>();
  for (const generated of [desiredJwtSecret(server, randomBytes(JWT_SECRET_BYTES)), desiredAdminSecret(server, randomBytes(ADMIN_PASSWORD_BYTES))]) {
    if (generated) secrets.set(generated.metadata.name!, generated);
  }
  const uses = referencedSecrets(server);
  for (const use of uses) {
    if (use.source === "operator") {
      if (!secrets.has(use.name)) throw new Error(`the pod consumes generated Secret ${use.name}, which the builders did not generate`);
    } else if (use.source === "percona") {
      if (!resources.database) throw new Error("a Percona case needs a database");
      secrets.set(use.name, secretObject(use.name, perconaUserSecretData(resources.database)));
    } else if (use.purpose === "controlPlane.tls") {
      addKey(secrets, use.name, use.key, tlsSecretData(resources.pki)[use.key] ?? "");
    } else {
      const value = userValue(use.purpose, resources);
      if (value !== undefined) addKey(secrets, use.name, use.key, value);
    }
  }
  for (const [name, secret] of existing ?? []) secrets.set(name, structuredClone(secret));
  const config = renderConfig(server);
  const hash = configHash(config, consumedSecrets(uses, secrets).hashValues);
  const configMap = desiredConfigMap(server, config);
  const statefulSet = desiredStatefulSet(server, hash);

  const adminUse = uses.find((u) => u.purpose === "admin.password");
  const adminData = adminUse ? (secrets.get(adminUse.name)?.data as Record<string, string> | undefined)?.[adminUse.key] : undefined;
  if (adminData === undefined) throw new Error("no admin password Secret key among the consumed Secrets");
  return {
    server,
    config,
    configMap,
    statefulSet,
    secrets,
    configMaps: new Map([[configMap.metadata.name!, configMap]]),
    services: desiredServices(server),
    adminPassword: Buffer.from(adminData, "base64").toString("utf8"),
  };
}
