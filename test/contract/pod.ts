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
import { mkdirSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { parseDocument } from "yaml";
import type { KubeObject } from "../../src/runtime/objects.ts";
import { serviceLinkEnv } from "../controlplane/pods/service-links.ts";
import { configMapData, projectVolume, resolveContainerEnv } from "../controlplane/pods/spec.ts";
import type { Container, Volume } from "../controlplane/pods/spec.ts";

export type { Container, EnvVar, ProbeSpec } from "../controlplane/pods/spec.ts";
export { resolveContainerEnv, resolvePort } from "../controlplane/pods/spec.ts";

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

function isUnder(path: string, mount: string): boolean {
  const m = mount.endsWith("/") ? mount.slice(0, -1) : mount;
  return path === m || path.startsWith(`${m}/`);
}

function materialiseVolume(volume: Volume, target: string, inputs: LaunchInputs): void {
  // emptyDir, a claim template, or a claim: an empty writable directory is what the container sees first.
  if (!projectVolume(volume, target, inputs)) mkdirSync(target, { recursive: true });
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
