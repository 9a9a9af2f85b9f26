/** Command lines of the control-plane components: pure functions of the paths and ports of one run. */
import { parseAllDocuments, stringify } from "yaml";
import type { Pki } from "./pki.ts";
import { NODE_IP } from "./pods/network.ts";

export interface Layout {
  workDir: string;
  etcdDataDir: string;
  adminKubeconfigPath: string;
  auditPolicyPath: string;
  auditLogPath?: string;
  kwokStagesPath: string;
  /** kwok's `--cidr`: the pod runner's leased CIDR when it runs, else DEFAULT_POD_CIDR. */
  podCidr: string;
  pki: Pki;
}

export interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
}

// Service range, and its first IP (the `kubernetes` Service) in the apiserver certificate.
export const SERVICE_CIDR = "10.96.0.0/16";
export const FIRST_SERVICE_IP = "10.96.0.1";
// Published in the `kubernetes` Endpoints only, never bound. The apiserver refuses to derive an address on a host
// without a default route and rejects loopback advertise addresses in Endpoints.
const ADVERTISE_ADDRESS = "10.255.255.1";
export const DEFAULT_POD_CIDR = "10.244.0.0/16";
const NODE_LEASE_SECONDS = 40;

export const AUDIT_POLICY_YAML = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
`;

export function etcdArgs(l: Layout, p: Ports): string[] {
  const client = `http://127.0.0.1:${p.etcdClient}`;
  const peer = `http://127.0.0.1:${p.etcdPeer}`;
  return [
    "--name=default",
    `--data-dir=${l.etcdDataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    // Test data is disposable; fsync only costs time.
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ];
}

export function apiserverArgs(l: Layout, p: Ports): string[] {
  const args = [
    `--etcd-servers=http://127.0.0.1:${p.etcdClient}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${p.apiserver}`,
    `--advertise-address=${ADVERTISE_ADDRESS}`,
    `--cert-dir=${l.workDir}/apiserver-certs`,
    `--tls-cert-file=${l.pki.apiserverCertPath}`,
    `--tls-private-key-file=${l.pki.apiserverKeyPath}`,
    `--client-ca-file=${l.pki.caCertPath}`,
    `--service-account-issuer=https://127.0.0.1:${p.apiserver}`,
    `--service-account-key-file=${l.pki.serviceAccountPubPath}`,
    `--service-account-signing-key-file=${l.pki.serviceAccountKeyPath}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    "--authorization-mode=RBAC",
    // PodSecurity is on by default; naming it keeps it on should the defaults change.
    "--enable-admission-plugins=PodSecurity",
    "--allow-privileged=true",
    // Less overhead on small machines; max-in-flight limits still apply.
    "--enable-priority-and-fairness=false",
    // On SIGTERM, end open watches (after at most 2 s) instead of letting them hold the HTTP server open until
    // its 60 s shutdown timeout: stopApiServer() in watch-resilience tests should be quick and graceful.
    "--shutdown-watch-termination-grace-period=2s",
    "--v=1",
  ];
  if (l.auditLogPath) {
    args.push(
      `--audit-policy-file=${l.auditPolicyPath}`,
      `--audit-log-path=${l.auditLogPath}`,
      "--audit-log-format=json",
      // Blocking: an event is in the file before the response is sent, so tests can read it right away.
      "--audit-log-mode=blocking",
    );
  }
  return args;
}

/** KCM and the scheduler talk to the apiserver, and check their own callers, as the admin of the test cluster. */
function adminClientArgs(l: Layout): string[] {
  const kubeconfig = l.adminKubeconfigPath;
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    "--leader-elect=false",
  ];
}

export function controllerManagerArgs(l: Layout, p: Ports): string[] {
  return [
    ...adminClientArgs(l),
    "--controllers=*",
    "--use-service-account-credentials=false",
    `--service-account-private-key-file=${l.pki.serviceAccountKeyPath}`,
    `--root-ca-file=${l.pki.caCertPath}`,
    // Lets the CSR API issue certificates.
    `--cluster-signing-cert-file=${l.pki.caCertPath}`,
    `--cluster-signing-key-file=${l.pki.caKeyPath}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${p.controllerManager}`,
    `--cert-dir=${l.workDir}/controller-manager-certs`,
    "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics",
    "--kube-api-qps=100",
    "--kube-api-burst=200",
    // kwok's nodes heartbeat only through the apiserver and kwok never makes a Running pod Ready again once the node
    // lifecycle controller marked it NotReady (a kubelet would): an apiserver outage in a test must not do that.
    "--node-monitor-grace-period=5m",
    "--v=1",
  ];
}

export function schedulerArgs(l: Layout, p: Ports): string[] {
  return [
    ...adminClientArgs(l),
    "--bind-address=127.0.0.1",
    `--secure-port=${p.scheduler}`,
    `--cert-dir=${l.workDir}/scheduler-certs`,
    "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics",
    "--v=1",
  ];
}

export function kwokArgs(l: Layout): string[] {
  return [
    `--kubeconfig=${l.adminKubeconfigPath}`,
    // kwok v0.8 has no built-in stages; without them it exits.
    `--config=${l.kwokStagesPath}`,
    "--manage-all-nodes=true",
    `--cidr=${l.podCidr}`,
    `--node-ip=${NODE_IP}`,
    `--node-lease-duration-seconds=${NODE_LEASE_SECONDS}`,
  ];
}

/** A fake Node kwok takes over. No NoSchedule taint: workloads under test do not tolerate it. */
export function fakeNode(name: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { "node.alpha.kubernetes.io/ttl": "0", "kwok.x-k8s.io/node": "fake" },
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        type: "kwok",
      },
    },
    status: {
      capacity: { cpu: "32", memory: "256Gi", pods: "110" },
      allocatable: { cpu: "32", memory: "256Gi", pods: "110" },
    },
  };
}

/**
 * kwok's stages with the pod runner's pods handed over: every Pod stage skips pods carrying `runnerLabel`, and one
 * extra stage gives those pods only what kwok owns, their hostIP and podIP (from kwok's allocator, in `--cidr`).
 * Phase, conditions, container statuses and the final removal of a deleted pod are the runner's, as a kubelet's.
 */
export function kwokStages(stagesYaml: string, runnerLabel: string): string {
  const labelKey = `.metadata.labels[${JSON.stringify(runnerLabel)}]`;
  const stages = parseAllDocuments(stagesYaml).map((doc) => doc.toJS() as KwokStage | null).filter((s): s is KwokStage => s !== null);
  for (const stage of stages) {
    if (stage.spec.resourceRef.kind !== "Pod") continue;
    stage.spec.selector ??= {};
    stage.spec.selector.matchExpressions = [...(stage.spec.selector.matchExpressions ?? []), { key: labelKey, operator: "DoesNotExist" }];
  }
  stages.push({
    apiVersion: "kwok.x-k8s.io/v1alpha1",
    kind: "Stage",
    metadata: { name: "pod-runner-address" },
    spec: {
      resourceRef: { apiGroup: "v1", kind: "Pod" },
      selector: {
        matchExpressions: [
          { key: labelKey, operator: "Exists" },
          { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" },
          { key: ".spec.nodeName", operator: "Exists" },
          { key: ".status.podIP", operator: "DoesNotExist" },
        ],
      },
      next: {
        // One allocation, used twice: every PodIPWith call takes a fresh address from kwok's pool.
        statusTemplate: [
          '{{ $podIP := PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}',
          "hostIP: {{ NodeIPWith .spec.nodeName | Quote }}",
          "hostIPs:",
          "- ip: {{ NodeIPWith .spec.nodeName | Quote }}",
          "podIP: {{ $podIP | Quote }}",
          "podIPs:",
          "- ip: {{ $podIP | Quote }}",
          "",
        ].join("\n"),
      },
    },
  });
  return stages.map((s) => `---\n${stringify(s, { lineWidth: 0 })}`).join("");
}

interface KwokStage {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    resourceRef: { apiGroup: string; kind: string };
    selector?: { matchExpressions?: { key: string; operator: string; values?: string[] }[] };
    [field: string]: unknown;
  };
}
