/**
 * The parts of the API about what the operator does through each server's DittoFS REST API: adapter discovery,
 * snapshot policies, the operator's mTLS client certificate, and what it reports back (`status.adapters`,
 * `status.snapshotPolicies`). Shapes and names are the reference operator's, so its manifests are accepted.
 */
import { Type } from "@sinclair/typebox";
import { DEFAULTS } from "../defaults.ts";
import { cel, Duration, ObjectName, StringEnum } from "./helpers.ts";

/** A Go duration as `time.ParseDuration` reads it, without a sign (e.g. `24h`, `1h30m`, `1.5h`, `90s`). */
// `[.]`, not `\.`: the pattern sits in a CEL string literal, where `\.` is not a valid escape.
const GO_DURATION = "([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|µs|μs|ms|s|m|h)";
export const SNAPSHOT_INTERVAL_SHORTHANDS = ["@hourly", "@daily", "@weekly"] as const;
const NAME_PREFIX_PATTERN = "^[A-Za-z0-9_-]{0,64}$";

export const AdapterDiscoverySpecSchema = Type.Object(
  {
    pollingInterval: Duration("How often the operator reads the adapter list of the server's API (5s..1h), e.g. 30s.", {
      default: DEFAULTS.adapterDiscovery.pollingInterval,
      ...cel({
        rule: "duration(self) >= duration('5s') && duration(self) <= duration('1h')",
        message: "adapterDiscovery.pollingInterval must be between 5s and 1h",
      }),
    }),
  },
  { description: "Discovery of the file adapters (NFS, SMB) through the DittoFS API: Services, status.adapters and readiness follow it.", default: {} },
);

export const SnapshotPolicySpecSchema = Type.Object(
  {
    share: Type.String({
      description: "Share the policy applies to, e.g. /archive (the leading / is optional, as for the server).",
      minLength: 1,
      maxLength: 255,
      pattern: "^/?[^/\\s][^\\s]*$",
    }),
    interval: Type.String({
      description: "Snapshot cadence: a Go duration (24h, 6h, 90m) or @hourly, @daily, @weekly.",
      maxLength: 64,
      ...cel({
        rule:
          `self.lowerAscii() in [${SNAPSHOT_INTERVAL_SHORTHANDS.map((s) => `'${s}'`).join(", ")}] || ` +
          `(self.matches('^(${GO_DURATION})+$') && duration(self) > duration('0s'))`,
        message: "interval must be a positive Go duration such as 24h or 90m, or one of @hourly, @daily, @weekly",
      }),
    }),
    keepLast: Type.Optional(
      Type.Integer({ description: "Keep only the newest N scheduled snapshots; 0 or omitted keeps any number.", format: "int32", minimum: 0, maximum: 100000 }),
    ),
    ttl: Type.Optional(
      Type.String({
        description: "Prune scheduled snapshots older than this Go duration, e.g. 720h; empty or 0 keeps them regardless of age.",
        maxLength: 64,
        ...cel({ rule: `self == '' || self == '0' || self.matches('^(${GO_DURATION})+$')`, message: "ttl must be a non-negative Go duration such as 720h, or empty" }),
      }),
    ),
    enabled: Type.Optional(Type.Boolean({ description: "Whether the server takes the snapshots; true when omitted." })),
    namePrefix: Type.Optional(
      Type.String({
        description: "Prefix of the scheduled snapshots' names (the server's default: scheduled).",
        maxLength: 64,
        ...cel({ rule: `self.matches('${NAME_PREFIX_PATTERN}')`, message: "namePrefix may only contain letters, digits, '_' and '-' (at most 64)" }),
      }),
    ),
  },
  { description: "A scheduled snapshot policy of one share, applied through the DittoFS API." },
);

export const SnapshotPoliciesSchema = Type.Array(SnapshotPolicySpecSchema, {
  description:
    "Snapshot policies the operator applies to the server's shares and keeps there (drift made with dfsctl is reverted). " +
    "A policy removed from this list is removed from the server, but only if the operator applied it; policies made " +
    "with dfsctl for other shares are left alone.",
  maxItems: 64,
  ...cel({
    // The server addresses `export` and `/export` as the same share.
    rule: "self.all(p, self.filter(q, q.share == p.share || '/' + q.share == p.share || q.share == '/' + p.share).size() == 1)",
    message: "snapshotPolicies has two policies for the same share",
  }),
});

/** Spread into the controlPlane schema: the certificate the operator presents when mTLS is on. */
export const OperatorClientCertField = {
  operatorClientCertSecretName: Type.Optional(
    ObjectName(
      "kubernetes.io/tls Secret (tls.crt, tls.key) with the client certificate the operator presents to the API when " +
        "clientCASecretName turns mTLS on; it must be signed by that CA. Without it the operator cannot authenticate to an mTLS server.",
    ),
  ),
};

/** CEL rule of the controlPlane object for the field above. */
export const OPERATOR_CLIENT_CERT_RULE = {
  rule: "!has(self.operatorClientCertSecretName) || has(self.clientCASecretName)",
  message: "operatorClientCertSecretName is only used with clientCASecretName (mTLS)",
  fieldPath: ".operatorClientCertSecretName",
};

export const AdapterStatusSchema = Type.Object(
  {
    type: Type.String({ description: "Adapter type, e.g. nfs or smb.", maxLength: 63 }),
    port: Type.Integer({ description: "Port the adapter listens on in the pod.", format: "int32", minimum: 0, maximum: 65535 }),
    enabled: Type.Boolean({ description: "Enabled in the server's configuration." }),
    running: Type.Boolean({ description: "Started by the server." }),
    status: Type.String({ description: "The adapter's own health: healthy, degraded, unhealthy, unknown or disabled.", maxLength: 32 }),
    message: Type.Optional(Type.String({ description: "The server's message about the adapter's health.", maxLength: 1024 })),
  },
  { description: "A file adapter as the server's API last reported it." },
);

export const SNAPSHOT_POLICY_STATES = ["Applied", "ShareNotFound", "Rejected", "Pending"] as const;

export const SnapshotPolicyStatusSchema = Type.Object(
  {
    share: Type.String({ description: "Share of the policy, as the server names it (one leading /).", maxLength: 256 }),
    state: StringEnum(SNAPSHOT_POLICY_STATES, {
      description: "Applied: on the server as specified. ShareNotFound: the share does not exist (retried). Rejected: the server refused the values. Pending: not applied yet.",
    }),
    message: Type.Optional(Type.String({ description: "Why the policy is not applied.", maxLength: 1024 })),
  },
  { description: "A snapshot policy of spec.snapshotPolicies as applied to the server." },
);

/** Spread into the status schema. */
export const DittoFsApiStatusFields = {
  adapters: Type.Optional(
    Type.Array(AdapterStatusSchema, {
      description: "File adapters as the server's API last reported them.",
      maxItems: 32,
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["type"],
    }),
  ),
  snapshotPolicies: Type.Optional(
    Type.Array(SnapshotPolicyStatusSchema, {
      description:
        "Policies of spec.snapshotPolicies and where they stand, plus those the operator applied that left the spec, until they are " +
        "removed from the server: an Applied entry is the operator's record of what it may remove.",
      maxItems: 128,
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["share"],
    }),
  ),
};
