/**
 * Everything a container start needs from the API and the disk: the ConfigMaps and Secrets it reads, its env as the
 * kubelet builds it, and its volumes as host directories with the container paths to bind them at.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { runCommand } from "../run.ts";
import { CONTAINER_PATH } from "./container.ts";
import type { BindMount } from "./container.ts";
import type { ImageContent } from "./images.ts";
import { serviceLinkEnv } from "./service-links.ts";
import { projectVolume, referencedObjects, resolveContainerEnv } from "./spec.ts";
import type { Container, ObjectSources, Volume } from "./spec.ts";

/** The pod fields the runner reads. */
export interface RunnerPod extends KubeObject {
  metadata: KubeObject["metadata"] & { uid: string; deletionTimestamp?: string; deletionGracePeriodSeconds?: number };
  spec: {
    nodeName?: string;
    containers: Container[];
    initContainers?: Container[];
    volumes?: Volume[];
    enableServiceLinks?: boolean;
    terminationGracePeriodSeconds?: number;
    serviceAccountName?: string;
    securityContext?: { runAsUser?: number; runAsGroup?: number; fsGroup?: number };
  };
  status?: { podIP?: string; hostIP?: string };
}

export interface LaunchInput {
  pod: RunnerPod;
  podIP: string;
  container: Container;
  image: ImageContent;
  /** The pod's directory (projected files, emptyDirs). */
  podDir: string;
  /**
   * Where claims live, `<claimsDir>/<namespace>/<claim>/<PVC uid>`, beyond any one pod: a recreated pod with the same
   * claim finds its data, and a claim deleted and recreated under the same name is empty, like a new volume.
   */
  claimsDir: string;
  /** GET of an API path; undefined for 404. */
  get: (path: string) => Promise<KubeObject | undefined>;
}

export interface PreparedContainer {
  env: Record<string, string>;
  mounts: BindMount[];
}

/** Reads the ConfigMaps and Secrets the container needs, then builds its env and its volume binds. */
export async function prepareContainer(input: LaunchInput): Promise<PreparedContainer> {
  const { pod, container, image } = input;
  const ns = pod.metadata.namespace!;
  const volumes = pod.spec.volumes ?? [];
  const wanted = referencedObjects(container, volumes);
  const read = async (kind: "configmaps" | "secrets", names: Set<string>): Promise<Map<string, KubeObject>> => {
    const out = new Map<string, KubeObject>();
    for (const name of names) {
      const obj = await input.get(`/api/v1/namespaces/${ns}/${kind}/${name}`);
      if (obj) out.set(name, obj);
    }
    return out;
  };
  const sources: ObjectSources = { configMaps: await read("configmaps", wanted.configMaps), secrets: await read("secrets", wanted.secrets) };
  const links =
    pod.spec.enableServiceLinks === false
      ? serviceLinkEnv([], false)
      : serviceLinkEnv(((await input.get(`/api/v1/namespaces/${ns}/services`)) as { items?: KubeObject[] } | undefined)?.items ?? [], true);
  const env = {
    PATH: CONTAINER_PATH,
    HOSTNAME: pod.metadata.name!,
    HOME: image.home,
    ...links,
    ...resolveContainerEnv(container, sources, (path) => fieldValue(pod, input.podIP, path)),
  };

  const fsGroup = pod.spec.securityContext?.fsGroup;
  const mounts: BindMount[] = Object.entries(image.files).map(([containerPath, hostPath]) => ({ containerPath, hostPath, readOnly: true, file: true }));
  const byName = new Map(volumes.map((v) => [v.name, v]));
  for (const m of container.volumeMounts ?? []) {
    if (m.subPath) throw new Error(`volumeMount ${m.name}: subPath is not supported by the pod runner`);
    const volume = byName.get(m.name);
    if (!volume) throw new Error(`volumeMount ${m.name} names no volume of the pod`);
    let hostPath: string;
    if (volume.configMap || volume.secret) {
      hostPath = join(input.podDir, "projected", container.name, volume.name);
      rmSync(hostPath, { recursive: true, force: true });
      projectVolume(volume, hostPath, sources);
      if (fsGroup !== undefined) await runCommand("chown", ["-R", `0:${fsGroup}`, hostPath]);
    } else if (volume.persistentVolumeClaim) {
      const claim = volume.persistentVolumeClaim.claimName;
      const pvc = await input.get(`/api/v1/namespaces/${ns}/persistentvolumeclaims/${claim}`);
      if (!pvc?.metadata.uid) throw new Error(`volume ${volume.name}: PersistentVolumeClaim "${claim}" not found`);
      hostPath = join(input.claimsDir, ns, claim, pvc.metadata.uid);
      writableDir(hostPath, fsGroup);
    } else if (volume.emptyDir) {
      hostPath = join(input.podDir, "empty-dir", volume.name);
      writableDir(hostPath, fsGroup);
    } else {
      throw new Error(`volume ${volume.name}: only configMap, secret, emptyDir and persistentVolumeClaim are supported by the pod runner`);
    }
    mounts.push({ containerPath: m.mountPath, hostPath, readOnly: m.readOnly === true });
  }
  return { env, mounts };
}

/** A downward-API `fieldRef`, as the kubelet resolves it. */
function fieldValue(pod: RunnerPod, podIP: string, path: string): string {
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (label) return (pod.metadata[label[1] as "labels" | "annotations"] ?? {})[label[2]!] ?? "";
  const known: Record<string, string | undefined> = {
    "metadata.name": pod.metadata.name,
    "metadata.namespace": pod.metadata.namespace,
    "metadata.uid": pod.metadata.uid,
    "spec.nodeName": pod.spec.nodeName,
    "spec.serviceAccountName": pod.spec.serviceAccountName,
    "status.podIP": podIP,
    "status.hostIP": pod.status?.hostIP,
  };
  if (!(path in known)) throw new Error(`fieldRef ${path} is not supported by the pod runner`);
  return known[path] ?? "";
}

/** A claim or emptyDir: writable by the pod's fsGroup (setgid, like the kubelet's ownership change), else by all. */
function writableDir(path: string, fsGroup: number | undefined): void {
  if (existsSync(path)) return;
  mkdirSync(path, { recursive: true });
  if (fsGroup === undefined) {
    chmodSync(path, 0o777);
  } else {
    chownSync(path, 0, fsGroup);
    chmodSync(path, 0o2775);
  }
}
