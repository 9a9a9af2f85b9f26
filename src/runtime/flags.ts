/**
 * Command-line flags of a manager, named like controller-runtime / kubebuilder's. Pure: argv in, options or a
 * FlagError with a clear message out. Go flag syntax: `--name=value`, `--name value`, booleans as `--name` or
 * `--name=true|false`.
 */

export interface ManagerFlags {
  metricsBindAddress: string;
  /** HTTPS and TokenReview/SubjectAccessReview on /metrics; false serves plain HTTP to anyone (local runs). */
  metricsSecure: boolean;
  /** Directory of the serving certificate; "" = self-signed at start. */
  metricsCertPath: string;
  metricsCertName: string;
  metricsCertKey: string;
  healthProbeBindAddress: string;
  leaderElect: boolean;
  leaderElectionNamespace: string | undefined;
  leaderElectionId: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** Default workers per controller. */
  concurrency: number;
  /** Restrict namespaced watches to one namespace ("" or absent = all). */
  namespace: string | undefined;
  logLevel: string;
  kubeconfig: string | undefined;
  gracefulShutdownTimeoutMs: number;
  help: boolean;
}

export class FlagError extends Error {
  override readonly name = "FlagError";
}

type Kind = "string" | "bool" | "int" | "duration";

const FLAGS: Record<string, { kind: Kind; key: keyof ManagerFlags; help: string }> = {
  "metrics-bind-address": { kind: "string", key: "metricsBindAddress", help: 'address of /metrics ("0" disables)' },
  "metrics-secure": {
    kind: "bool",
    key: "metricsSecure",
    help: "serve /metrics over HTTPS to callers the API server authorizes (get on /metrics); false: plain HTTP, no auth",
  },
  "metrics-cert-path": {
    kind: "string",
    key: "metricsCertPath",
    help: "directory holding the metrics serving certificate, re-read when it changes (default: self-signed at start)",
  },
  "metrics-cert-name": { kind: "string", key: "metricsCertName", help: "certificate file in --metrics-cert-path (tls.crt)" },
  "metrics-cert-key": { kind: "string", key: "metricsCertKey", help: "private key file in --metrics-cert-path (tls.key)" },
  "health-probe-bind-address": {
    kind: "string",
    key: "healthProbeBindAddress",
    help: 'address of /healthz and /readyz ("0" disables)',
  },
  "leader-elect": { kind: "bool", key: "leaderElect", help: "run leader election (required with more than one replica)" },
  "leader-election-namespace": {
    kind: "string",
    key: "leaderElectionNamespace",
    help: "namespace of the Lease (default: the pod's namespace)",
  },
  "leader-election-id": { kind: "string", key: "leaderElectionId", help: "name of the Lease" },
  "leader-elect-lease-duration": { kind: "duration", key: "leaseDurationMs", help: "lease duration (15s)" },
  "leader-elect-renew-deadline": { kind: "duration", key: "renewDeadlineMs", help: "renew deadline (10s)" },
  "leader-elect-retry-period": { kind: "duration", key: "retryPeriodMs", help: "retry period (2s)" },
  concurrency: { kind: "int", key: "concurrency", help: "concurrent reconciles per controller (1)" },
  namespace: { kind: "string", key: "namespace", help: "only watch this namespace (default: all)" },
  "log-level": { kind: "string", key: "logLevel", help: "trace, debug, info, warn, error (info)" },
  kubeconfig: { kind: "string", key: "kubeconfig", help: "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)" },
  "graceful-shutdown-timeout": {
    kind: "duration",
    key: "gracefulShutdownTimeoutMs",
    help: "how long SIGTERM waits for in-flight reconciles (30s)",
  },
  help: { kind: "bool", key: "help", help: "print this help" },
};

export function defaultFlags(leaderElectionId: string): ManagerFlags {
  return {
    metricsBindAddress: ":8080",
    metricsSecure: true,
    metricsCertPath: "",
    metricsCertName: "tls.crt",
    metricsCertKey: "tls.key",
    healthProbeBindAddress: ":8081",
    leaderElect: false,
    leaderElectionNamespace: undefined,
    leaderElectionId,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    concurrency: 1,
    namespace: undefined,
    logLevel: "info",
    kubeconfig: undefined,
    gracefulShutdownTimeoutMs: 30_000,
    help: false,
  };
}

/** Go duration subset: `1h2m3.5s`, `500ms`. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let matched = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * units[m[2]!]!;
    matched = re.lastIndex;
  }
  if (text === "" || matched !== text.length) throw new FlagError(`invalid duration ${JSON.stringify(text)} (e.g. 15s, 500ms)`);
  return total;
}

export function parseManagerFlags(argv: readonly string[], defaults: ManagerFlags): ManagerFlags {
  const out: ManagerFlags = { ...defaults };
  const set = out as unknown as Record<string, unknown>;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("-")) throw new FlagError(`unexpected argument ${JSON.stringify(arg)}`);
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = FLAGS[name];
    if (!spec) throw new FlagError(`unknown flag --${name} (see --help)`);
    let value: string | undefined = eq < 0 ? undefined : body.slice(eq + 1);
    if (spec.kind === "bool") {
      if (value === undefined) value = "true";
      if (value !== "true" && value !== "false") throw new FlagError(`--${name} takes true or false, not ${value}`);
      set[spec.key] = value === "true";
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new FlagError(`--${name} needs a value`);
    }
    if (spec.kind === "string") set[spec.key] = value;
    else if (spec.kind === "duration") set[spec.key] = parseDuration(value);
    else {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new FlagError(`--${name} must be a positive integer, not ${value}`);
      set[spec.key] = n;
    }
  }
  if (out.namespace === "") out.namespace = undefined;
  if (out.leaseDurationMs <= out.renewDeadlineMs || out.renewDeadlineMs <= 1.2 * out.retryPeriodMs) {
    throw new FlagError("leader election needs lease-duration > renew-deadline > 1.2 × retry-period");
  }
  return out;
}

export function flagsHelp(): string {
  return Object.entries(FLAGS)
    .map(([name, f]) => `  --${name}${f.kind === "bool" ? "" : ` <${f.kind}>`}\n        ${f.help}`)
    .join("\n");
}

/** Split `host:port` (`:8081` = all interfaces). "0" disables the server: undefined. */
export function parseBindAddress(address: string): { host: string | undefined; port: number } | undefined {
  if (address === "0" || address === "") return undefined;
  const colon = address.lastIndexOf(":");
  if (colon < 0) throw new FlagError(`bind address ${JSON.stringify(address)} must be host:port, :port or 0`);
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const port = Number(address.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FlagError(`invalid port in ${JSON.stringify(address)}`);
  return { host: host || undefined, port };
}
