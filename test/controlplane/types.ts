/** The public shape of the local control plane; integration tests, the demo and benchmarks code against it. */

export type Component = "etcd" | "apiserver" | "controller-manager" | "scheduler" | "kwok";

export const ALL_COMPONENTS: readonly Component[] = ["etcd", "apiserver", "controller-manager", "scheduler", "kwok"];

export interface ControlPlaneOptions {
  /** Which components to run; default all. Every component except etcd needs the apiserver, which needs etcd. */
  components?: Component[];
  /** Fake kwok Nodes to create and wait Ready for (only when kwok runs); default 1. */
  nodes?: number;
  /** Write an apiserver audit log (Metadata level, no RequestReceived stage). */
  audit?: boolean;
  /** Directory for PKI, data, logs; default a fresh temp dir that stop() removes. A given dir is left in place. */
  workDir?: string;
  /**
   * Run the pod runner (root only): pods labelled `dittofs-operator.test/pod-runner` get real processes in network
   * namespaces at their pod IPs (pods/runner.ts); every other pod stays kwok's. Default off.
   */
  podRunner?: boolean;
  /** Progress lines ("etcd ready in 0.4 s"); default silent. */
  log?: (line: string) => void;
}

export interface ControlPlane {
  /** Admin (system:masters) kubeconfig file. */
  kubeconfigPath: string;
  kubeconfigYaml: string;
  /** https://127.0.0.1:<port> */
  apiServerUrl: string;
  /** http://127.0.0.1:<port>; etcd's JSON gateway accepts e.g. POST /v3/kv/compaction. */
  etcdUrl: string;
  binDir: string;
  logDir: string;
  workDir: string;
  /** kwok's pod CIDR; with the pod runner, a /16 leased for this run and guarded by an unreachable route. */
  podCidr: string;
  auditLogPath?: string;
  /** The cluster CA; sign extra client certificates with it in tests (see signClientCertificate). */
  caCertPath: string;
  caKeyPath: string;
  /** Stop/restart only the apiserver (same port, same etcd) for watch-resilience tests. */
  stopApiServer(): Promise<void>;
  /** kill -9 the apiserver (no graceful shutdown); `startApiServer` brings it back. */
  killApiServer(): Promise<void>;
  startApiServer(): Promise<void>;
  /** Stops every component in reverse start order and removes the temp work dir. Idempotent. */
  stop(): Promise<void>;
}
