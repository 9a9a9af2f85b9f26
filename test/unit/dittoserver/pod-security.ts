/**
 * The Pod Security Standards `restricted` profile (baseline included), checked field by field on a pod spec.
 * Written from the published rules so tests can tell whether a rendered pod would be admitted in a namespace
 * labelled `pod-security.kubernetes.io/enforce: restricted`. Returns the violations (empty = admitted).
 */
type Json = Record<string, unknown>;

const ALLOWED_VOLUME_SOURCES = new Set([
  "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
]);

function obj(value: unknown): Json {
  return typeof value === "object" && value !== null ? (value as Json) : {};
}

export function restrictedViolations(podSpec: Json): string[] {
  const out: string[] = [];
  const pod = obj(podSpec.securityContext);
  if (podSpec.hostNetwork === true || podSpec.hostPID === true || podSpec.hostIPC === true) out.push("host namespaces");
  for (const volume of (podSpec.volumes ?? []) as Json[]) {
    const sources = Object.keys(volume).filter((k) => k !== "name");
    for (const source of sources) if (!ALLOWED_VOLUME_SOURCES.has(source)) out.push(`volume ${String(volume.name)} uses ${source}`);
  }
  const podSeccomp = obj(pod.seccompProfile).type;
  if (podSeccomp !== undefined && podSeccomp !== "RuntimeDefault" && podSeccomp !== "Localhost") out.push("pod seccomp");
  if (pod.runAsUser === 0) out.push("pod runAsUser 0");
  const containers = [
    ...((podSpec.initContainers ?? []) as Json[]),
    ...((podSpec.containers ?? []) as Json[]),
  ];
  for (const container of containers) {
    const name = String(container.name);
    const sc = obj(container.securityContext);
    if (sc.privileged === true) out.push(`${name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${name}: allowPrivilegeEscalation must be false`);
    const runAsNonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    if (runAsNonRoot !== true) out.push(`${name}: runAsNonRoot must be true`);
    if (sc.runAsNonRoot === false) out.push(`${name}: runAsNonRoot false`);
    if (sc.runAsUser === 0) out.push(`${name}: runAsUser 0`);
    const seccomp = obj(sc.seccompProfile).type ?? podSeccomp;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") out.push(`${name}: seccompProfile must be RuntimeDefault or Localhost`);
    const caps = obj(sc.capabilities);
    const drop = (caps.drop ?? []) as string[];
    if (!drop.includes("ALL")) out.push(`${name}: capabilities must drop ALL`);
    for (const cap of (caps.add ?? []) as string[]) if (cap !== "NET_BIND_SERVICE") out.push(`${name}: adds ${cap}`);
    for (const port of (container.ports ?? []) as Json[]) if (port.hostPort !== undefined && port.hostPort !== 0) out.push(`${name}: hostPort`);
  }
  return out;
}
