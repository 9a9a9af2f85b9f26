/**
 * A tiny kubelet for one container: turns the StatefulSet the operator renders (plus the ConfigMaps and Secrets
 * it references) into a process launch on this machine, changing only what a shared machine forces us to.
 *
 * - Volumes are materialised under a private root directory: ConfigMaps and Secrets become files (items, modes),
 *   claim templates and emptyDirs become empty directories. Every absolute path in the config file, the env
 *   and the args that lies under a volume mount is rewritten to its place under that root.
 * - Env `valueFrom.secretKeyRef` / `configMapKeyRef` are resolved like the kubelet does: a missing required key is
 *   an error (the pod would be stuck in CreateContainerConfigError), a missing optional one drops the variable.
 * - The container ports the server listens on (API, metrics) are rewritten to free host ports; the caller gets the
 *   mapping, like a port-forward, so probes can target the *rendered* port.
 *
 * Everything else (keys, values, env names) is passed through exactly as rendered.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { parseDocument } from "yaml";
import type { KubeObject } from "../../src/runtime/objects.ts";
import { serviceLinkEnv } from "./service-links.ts";

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
  failureThreshold?: number;
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
}

interface KeyToPath {
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

export interface PodTemplateSpec {
  terminationGracePeriodSeconds?: number;
  enableServiceLinks?: boolean;
  initContainers?: Container[];
  containers: Container[];
  volumes?: Volume[];
}

export interface StatefulSetShape {
  spec: {
    template: { spec: PodTemplateSpec };
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
}

/** Where the image puts the server (`ENTRYPOINT ["/app/dfs"]`); replaced by the locally built binary. */
export const IMAGE_ENTRYPOINT = "/app/dfs";

/** Config keys holding URL paths, not file paths: never remapped, never required to be on a volume. */
const URL_PATH_KEYS = new Set(["metrics.path"]);

export interface Launch {
  /** The binary and arguments to run (`/app/dfs` replaced by `binary`, paths remapped). */
  command: string;
  args: string[];
  env: Record<string, string>;
  /** The config file as it was rendered, and as written (paths and ports remapped) under the root. */
  renderedConfig: string;
  writtenConfig: string;
  configPath: string;
  /** Container port → host port for the listeners we had to move. */
  ports: Map<number, number>;
  /** Absolute pod paths named by the config or env that are not under any volume mount. */
  pathsOutsideMounts: string[];
  /** Directories standing for places in the image's own filesystem (defaults of unset XDG/TMPDIR vars). */
  dirsOutsideVolumes: string[];
  /** The root directory standing in for the container's filesystem. */
  root: string;
  /** Maps a path inside the pod to its place on this machine. */
  hostPath(podPath: string): string;
}

export interface LaunchInputs {
  statefulSet: KubeObject;
  /** ConfigMaps and Secrets by name; Secret `data` is base64 as in the API. */
  configMaps: ReadonlyMap<string, KubeObject>;
  secrets: ReadonlyMap<string, KubeObject>;
  /** Name of the server container in the pod. */
  containerName: string;
  binary: string;
  /** Private directory for this run. */
  dir: string;
  /** Free host ports for the container ports the config binds (API, metrics…), taken in order. */
  freePorts: number[];
  /** Services of the pod's namespace, for the kubelet's service-link variables. */
  services?: readonly KubeObject[];
}

export function podSpecOf(statefulSet: KubeObject): PodTemplateSpec {
  return (statefulSet as unknown as StatefulSetShape).spec.template.spec;
}

export function containerOf(statefulSet: KubeObject, name: string): Container {
  const container = podSpecOf(statefulSet).containers.find((c) => c.name === name);
  if (!container) throw new Error(`StatefulSet has no container "${name}"`);
  return container;
}

/** A named or numeric probe/Service port → the container port number (as the kubelet resolves it). */
export function resolvePort(container: Container, port: number | string): number {
  if (typeof port === "number") return port;
  const found = container.ports?.find((p) => p.name === port);
  if (!found) throw new Error(`container "${container.name}" has no port named "${port}"`);
  return found.containerPort;
}

function isUnder(path: string, mount: string): boolean {
  const m = mount.endsWith("/") ? mount.slice(0, -1) : mount;
  return path === m || path.startsWith(`${m}/`);
}

function decodeSecretData(secret: KubeObject): Record<string, Buffer> {
  const data = (secret.data ?? {}) as Record<string, string>;
  const stringData = (secret.stringData ?? {}) as Record<string, string>;
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(data)) out[k] = Buffer.from(v, "base64");
  for (const [k, v] of Object.entries(stringData)) out[k] = Buffer.from(v, "utf8");
  return out;
}

function configMapData(configMap: KubeObject): Record<string, Buffer> {
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

function materialiseVolume(volume: Volume, target: string, inputs: LaunchInputs): void {
  if (volume.configMap) {
    const cm = inputs.configMaps.get(volume.configMap.name);
    if (!cm) {
      if (volume.configMap.optional) return void mkdirSync(target, { recursive: true });
      throw new Error(`volume "${volume.name}": ConfigMap "${volume.configMap.name}" not supplied`);
    }
    writeProjected(target, `ConfigMap "${volume.configMap.name}"`, configMapData(cm), volume.configMap.items, volume.configMap.defaultMode ?? 0o644);
  } else if (volume.secret) {
    const secret = inputs.secrets.get(volume.secret.secretName);
    if (!secret) {
      if (volume.secret.optional) return void mkdirSync(target, { recursive: true });
      throw new Error(`volume "${volume.name}": Secret "${volume.secret.secretName}" not supplied`);
    }
    writeProjected(target, `Secret "${volume.secret.secretName}"`, decodeSecretData(secret), volume.secret.items, volume.secret.defaultMode ?? 0o644);
  } else {
    // emptyDir, a claim template, or a claim: an empty writable directory is what the container sees first.
    mkdirSync(target, { recursive: true });
  }
}

/** A container's env as the kubelet resolves it (Secret and ConfigMap references looked up in `inputs`). */
export function resolveContainerEnv(container: Container, inputs: Pick<LaunchInputs, "configMaps" | "secrets">): Record<string, string> {
  if (container.envFrom && container.envFrom.length > 0) throw new Error("envFrom is not supported by the contract harness");
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      env[variable.name] = variable.value ?? "";
      continue;
    }
    const ref = from.secretKeyRef ?? from.configMapKeyRef;
    if (!ref) throw new Error(`env ${variable.name}: only secretKeyRef and configMapKeyRef are supported here`);
    const isSecret = from.secretKeyRef !== undefined;
    const object = (isSecret ? inputs.secrets : inputs.configMaps).get(ref.name);
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

/** Builds the launch; throws with the kubelet's reason when the pod could not start at all. */
export function prepareLaunch(inputs: LaunchInputs): Launch {
  const pod = podSpecOf(inputs.statefulSet);
  const container = containerOf(inputs.statefulSet, inputs.containerName);
  const root = join(inputs.dir, "root");
  const mounts = [...(container.volumeMounts ?? [])].sort((a, b) => b.mountPath.length - a.mountPath.length);
  const hostPath = (podPath: string): string => (mounts.some((m) => isUnder(podPath, m.mountPath)) ? join(root, podPath) : podPath);

  const volumes = new Map<string, Volume>((pod.volumes ?? []).map((v) => [v.name, v]));
  const claims = new Set((inputs.statefulSet as unknown as StatefulSetShape).spec.volumeClaimTemplates?.map((t) => t.metadata.name) ?? []);
  for (const mount of mounts.slice().reverse()) {
    if (mount.subPath) throw new Error(`volumeMount ${mount.name}: subPath is not supported by the contract harness`);
    const volume = volumes.get(mount.name) ?? (claims.has(mount.name) ? { name: mount.name, emptyDir: {} } : undefined);
    if (!volume) throw new Error(`volumeMount "${mount.name}" names no volume or claim template`);
    materialiseVolume(volume, join(root, mount.mountPath), inputs);
  }

  const outside = new Set<string>();
  // The image's own filesystem is not here (and is read-only in the pod): paths outside every volume point below a
  // regular file, so dfs can neither read nor create anything there, and never touches this machine's real paths.
  const imageFs = join(inputs.dir, "image-filesystem");
  writeFileSync(imageFs, "stands for the container image's read-only filesystem\n");
  const remapPath = (value: string, key: string): string => {
    if (!value.startsWith("/") || URL_PATH_KEYS.has(key)) return value;
    if (!mounts.some((m) => isUnder(value, m.mountPath))) {
      outside.add(`${key}=${value}`);
      return join(imageFs, value);
    }
    return join(root, value);
  };

  // Ports: the ones the server binds, read from the config (env overrides are handled below).
  const freePorts = [...inputs.freePorts];
  const ports = new Map<number, number>();
  const movePort = (port: number): number => {
    const existing = ports.get(port);
    if (existing !== undefined) return existing;
    const free = freePorts.shift();
    if (free === undefined) throw new Error("not enough free ports supplied to prepareLaunch");
    ports.set(port, free);
    return free;
  };

  // Service links first: the container's own env wins over them, as in the kubelet.
  const env = { ...serviceLinkEnv(inputs.services ?? [], pod.enableServiceLinks), ...resolveContainerEnv(container, inputs) };
  for (const [name, value] of Object.entries(env)) {
    // A listener port set by env moves like one from the file; anything else there is dfs's to reject.
    if ((name === "DITTOFS_CONTROLPLANE_PORT" || name === "DITTOFS_METRICS_PORT") && /^\d+$/.test(value)) env[name] = String(movePort(Number(value)));
    else env[name] = remapPath(value, `env ${name}`);
  }

  const args = (container.args ?? []).map((arg) => remapPath(arg, "args"));
  const configFlag = args.indexOf("--config");
  if (configFlag < 0 || configFlag + 1 >= args.length) throw new Error(`container args do not name a config file: ${JSON.stringify(container.args)}`);
  const configPath = args[configFlag + 1]!;
  const podConfigPath = container.args![configFlag + 1]!;
  const configMount = mounts.find((m) => isUnder(podConfigPath, m.mountPath));
  if (!configMount) throw new Error(`config file ${podConfigPath} is not on any volume`);

  // The file as rendered: read back from where the ConfigMap volume put it.
  const configVolume = volumes.get(configMount.name)?.configMap;
  if (!configVolume) throw new Error(`config file ${podConfigPath} is not on a ConfigMap volume`);
  const renderedConfig = configMapData(inputs.configMaps.get(configVolume.name)!)[posix.relative(configMount.mountPath, podConfigPath)]?.toString("utf8");
  if (renderedConfig === undefined) throw new Error(`ConfigMap "${configVolume.name}" has no ${podConfigPath}`);

  const doc = parseDocument(renderedConfig);
  if (doc.errors.length > 0) throw new Error(`rendered config.yaml does not parse: ${doc.errors[0]!.message}`);
  const walk = (node: unknown, path: string[]): void => {
    if (node === null || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const keyPath = [...path, key];
      if (typeof value === "string") doc.setIn(keyPath, remapPath(value, keyPath.join(".")));
      else if (Array.isArray(value)) {
        value.forEach((v, i) => {
          if (typeof v === "string") doc.setIn([...keyPath, i], remapPath(v, keyPath.join(".")));
        });
      } else walk(value, keyPath);
    }
  };
  walk(doc.toJS(), []);
  for (const key of [["controlplane", "port"], ["metrics", "port"]]) {
    const port: unknown = doc.getIn(key);
    if (typeof port === "number") doc.setIn(key, movePort(port));
  }
  const writtenConfig = doc.toString({ lineWidth: 0 });
  writeFileSync(configPath, writtenConfig);

  // What a container would have without these: $HOME-relative XDG dirs and /tmp. Keep them inside the run; the
  // ones not on a volume stand for the image's (read-only) filesystem and are reported as such.
  const outsideVolumes: string[] = [];
  for (const [name, sub] of [["XDG_CONFIG_HOME", "xdg-config"], ["XDG_STATE_HOME", "xdg-state"], ["TMPDIR", "tmp"]] as const) {
    if (env[name] !== undefined) continue; // rendered: a pod gets exactly that, so must we
    const onVolume = name === "TMPDIR" && mounts.some((m) => m.mountPath === "/tmp");
    const dir = onVolume ? join(root, "tmp") : join(inputs.dir, sub);
    mkdirSync(dir, { recursive: true });
    if (!onVolume) outsideVolumes.push(dir);
    env[name] = dir;
  }

  const command = container.command ?? [IMAGE_ENTRYPOINT];
  if (command.length !== 1 || command[0] !== IMAGE_ENTRYPOINT) throw new Error(`unexpected container command ${JSON.stringify(command)}`);
  return {
    command: inputs.binary,
    args,
    env,
    renderedConfig,
    writtenConfig,
    configPath,
    ports,
    pathsOutsideMounts: [...outside],
    dirsOutsideVolumes: outsideVolumes,
    root,
    hostPath,
  };
}
