/**
 * What a kubelet reads from a pod spec, in one place for every harness that runs a real container process: the
 * shapes of containers and volumes, env resolution (`value`, Secret/ConfigMap key references, downward-API
 * fields) and ConfigMap/Secret volume projection (all keys or `items`, with their modes).
 *
 * The pod runner (./runner.ts) and the contract harness (test/contract/pod.ts) both build on it.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { KubeObject } from "../../../src/runtime/objects.ts";

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface ProbeSpec {
  httpGet?: { path?: string; port: number | string; scheme?: string };
  tcpSocket?: { port: number | string };
  exec?: { command: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface SecurityContextIds {
  runAsUser?: number;
  runAsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  fsGroup?: number;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: unknown[];
  ports?: ContainerPort[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  startupProbe?: ProbeSpec;
  livenessProbe?: ProbeSpec;
  readinessProbe?: ProbeSpec;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  securityContext?: SecurityContextIds;
}

export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface Volume {
  name: string;
  configMap?: { name: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  emptyDir?: object;
  persistentVolumeClaim?: { claimName: string };
}

/** ConfigMaps and Secrets by name, as read from the API (Secret `data` base64). */
export interface ObjectSources {
  configMaps: ReadonlyMap<string, KubeObject>;
  secrets: ReadonlyMap<string, KubeObject>;
}

/** A named or numeric probe/Service port → the container port number (as the kubelet resolves it). */
export function resolvePort(container: Container, port: number | string): number {
  if (typeof port === "number") return port;
  const found = container.ports?.find((p) => p.name === port);
  if (!found) throw new Error(`container "${container.name}" has no port named "${port}"`);
  return found.containerPort;
}

export function decodeSecretData(secret: KubeObject): Record<string, Buffer> {
  const data = (secret.data ?? {}) as Record<string, string>;
  const stringData = (secret.stringData ?? {}) as Record<string, string>;
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(data)) out[k] = Buffer.from(v, "base64");
  for (const [k, v] of Object.entries(stringData)) out[k] = Buffer.from(v, "utf8");
  return out;
}

export function configMapData(configMap: KubeObject): Record<string, Buffer> {
  const data = (configMap.data ?? {}) as Record<string, string>;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "utf8")]));
}

/** Writes one ConfigMap/Secret volume like the kubelet: all keys, or only `items` (missing item key = error). */
function writeProjected(target: string, what: string, data: Record<string, Buffer>, items: KeyToPath[] | undefined, defaultMode: number): void {
  mkdirSync(target, { recursive: true });
  const entries: KeyToPath[] = items ?? Object.keys(data).map((key) => ({ key, path: key }));
  for (const item of entries) {
    const value = data[item.key];
    if (value === undefined) throw new Error(`${what} has no key "${item.key}" (the pod would not start)`);
    const file = join(target, item.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, value);
    chmodSync(file, item.mode ?? defaultMode);
  }
}

/**
 * Writes a ConfigMap or Secret volume's files into `target`; returns false for any other kind of volume
 * (emptyDir, claims: directories the caller provides). A missing object fails unless the volume is optional.
 */
export function projectVolume(volume: Volume, target: string, sources: ObjectSources): boolean {
  if (volume.configMap) {
    const cm = sources.configMaps.get(volume.configMap.name);
    if (!cm) {
      if (!volume.configMap.optional) throw new Error(`volume "${volume.name}": ConfigMap "${volume.configMap.name}" not found`);
      mkdirSync(target, { recursive: true });
    } else {
      writeProjected(target, `ConfigMap "${volume.configMap.name}"`, configMapData(cm), volume.configMap.items, volume.configMap.defaultMode ?? 0o644);
    }
    return true;
  }
  if (volume.secret) {
    const secret = sources.secrets.get(volume.secret.secretName);
    if (!secret) {
      if (!volume.secret.optional) throw new Error(`volume "${volume.name}": Secret "${volume.secret.secretName}" not found`);
      mkdirSync(target, { recursive: true });
    } else {
      writeProjected(target, `Secret "${volume.secret.secretName}"`, decodeSecretData(secret), volume.secret.items, volume.secret.defaultMode ?? 0o644);
    }
    return true;
  }
  return false;
}

/** Names of the ConfigMaps and Secrets a container and its pod's volumes read. */
export function referencedObjects(container: Container, volumes: readonly Volume[]): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const v of container.env ?? []) {
    if (v.valueFrom?.configMapKeyRef) configMaps.add(v.valueFrom.configMapKeyRef.name);
    if (v.valueFrom?.secretKeyRef) secrets.add(v.valueFrom.secretKeyRef.name);
  }
  for (const v of volumes) {
    if (v.configMap) configMaps.add(v.configMap.name);
    if (v.secret) secrets.add(v.secret.secretName);
  }
  return { configMaps, secrets };
}

/**
 * A container's env as the kubelet resolves it (Secret and ConfigMap references looked up in `sources`,
 * `fieldRef` through `field`, when given). A missing required key is an error (the pod would be stuck in
 * CreateContainerConfigError); a missing optional one drops the variable.
 */
export function resolveContainerEnv(container: Container, sources: ObjectSources, field?: (fieldPath: string) => string): Record<string, string> {
  if (container.envFrom && container.envFrom.length > 0) throw new Error("envFrom is not supported by the test kubelets");
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      env[variable.name] = variable.value ?? "";
      continue;
    }
    if (from.fieldRef && field) {
      env[variable.name] = field(from.fieldRef.fieldPath);
      continue;
    }
    const ref = from.secretKeyRef ?? from.configMapKeyRef;
    if (!ref) throw new Error(`env ${variable.name}: only secretKeyRef, configMapKeyRef${field ? " and fieldRef" : ""} are supported here`);
    const isSecret = from.secretKeyRef !== undefined;
    const object = (isSecret ? sources.secrets : sources.configMaps).get(ref.name);
    const data = object ? (isSecret ? decodeSecretData(object) : configMapData(object)) : undefined;
    const value = data?.[ref.key];
    if (value === undefined) {
      if (ref.optional) continue;
      throw new Error(`env ${variable.name}: ${isSecret ? "Secret" : "ConfigMap"} "${ref.name}" key "${ref.key}" missing (CreateContainerConfigError)`);
    }
    env[variable.name] = value.toString("utf8");
  }
  return env;
}
