/**
 * The operator's own flags, on top of the generic manager flags (runtime/flags.ts). Pure: argv in, the operator
 * options plus the remaining argv (for `parseManagerFlags`) out, or a FlagError with a clear message.
 */
import { FlagError, parseDuration } from "../runtime/flags.ts";
import { OPERATOR_DEFAULTS } from "./kinds.ts";
import type { OperatorOptions } from "./kinds.ts";

const FLAGS: Record<string, { key: keyof OperatorOptions; kind: "string" | "duration"; help: string }> = {
  "cluster-domain": { key: "clusterDomain", kind: "string", help: "DNS domain of the cluster, for status.nfsEndpoint (cluster.local)" },
  "deletion-pod-warning": { key: "deletionPodWarningMs", kind: "duration", help: "deletion: warn when pods are still terminating after this long (30s)" },
  "deletion-pod-timeout": { key: "deletionPodTimeoutMs", kind: "duration", help: "deletion: stop waiting for pods after this long and remove the finalizer (60s)" },
  "resync-period": { key: "resyncMs", kind: "duration", help: "periodic reconcile of a settled DittoServer (10m)" },
  "poll-period": { key: "pollMs", kind: "duration", help: "reconcile interval while a DittoServer is not settled (10s)" },
  "unschedulable-grace": { key: "unschedulableGraceMs", kind: "duration", help: "report an unschedulable pod in the status once the scheduler has refused it this long (30s)" },
  "volume-binding-grace": { key: "volumeBindingGraceMs", kind: "duration", help: "report a pod that only waits for its volume claims to bind once it has waited this long (10m, a Deployment's progress deadline)" },
};

export function parseOperatorFlags(argv: readonly string[]): { options: OperatorOptions; rest: string[] } {
  const options: OperatorOptions = { ...OPERATOR_DEFAULTS };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = arg.startsWith("-") ? FLAGS[name] : undefined;
    if (!spec) {
      rest.push(arg);
      continue;
    }
    const value = eq < 0 ? argv[++i] : body.slice(eq + 1);
    if (value === undefined) throw new FlagError(`--${name} needs a value`);
    if (spec.kind === "duration") (options[spec.key] as number) = parseDuration(value);
    else {
      if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)) throw new FlagError(`--${name} must be a DNS domain, not ${JSON.stringify(value)}`);
      (options[spec.key] as string) = value;
    }
  }
  if (options.deletionPodWarningMs > options.deletionPodTimeoutMs) throw new FlagError("--deletion-pod-warning must not exceed --deletion-pod-timeout");
  return { options, rest };
}

export function operatorFlagsHelp(): string {
  return Object.entries(FLAGS)
    .map(([name, f]) => `  --${name} <${f.kind}>\n        ${f.help}`)
    .join("\n");
}
