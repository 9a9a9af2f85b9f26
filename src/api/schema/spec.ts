/** `spec` of a DittoServer: storage, control plane, services, metrics, logging, pod settings, and the root rules. */
import { Type } from "@sinclair/typebox";
import { GROUP } from "../constants.ts";
import { CONTROL_PLANE_VOLUME_PATH, DEFAULTS, GRACE_SLACK_SECONDS, MIN_TERMINATION_GRACE_PERIOD_SECONDS, PRE_STOP_SECONDS, SERVER_PORTS } from "../defaults.ts";
import { DatabaseSpecSchema, PerconaSpecSchema } from "./database.ts";
import { AdapterDiscoverySpecSchema, OPERATOR_CLIENT_CERT_RULE, OperatorClientCertField, SnapshotPoliciesSchema } from "./dittofs-api.ts";
import { cel, Duration, growOnly, immutableOptional, ObjectName, Port, positiveSize, SecretKeyRef, Size, StringEnum } from "./helpers.ts";
import { IdentitySpecSchema } from "./identity.ts";
import { NetworkPolicySpecSchema } from "./network-policy.ts";
import { LOCAL_BLOCK_STORE_RULE, StoresSpecSchema } from "./stores.ts";
import { AffinitySchema, PodSecurityContextSchema, ResourceRequirementsSchema, SecurityContextSchema, TolerationSchema } from "./kube.ts";
import { AnnotationMap, LabelMap, NO_POD_SEMANTIC_ANNOTATIONS } from "./syntax.ts";

/** Labels the operator puts on the pod (the first three form the StatefulSet selector); users may not override them. */
const OPERATOR_LABEL_KEYS = ["name", "instance", "component", "managed-by", "part-of"].map((k) => `app.kubernetes.io/${k}`);

const notAdapterPort = {
  rule: `self != ${SERVER_PORTS.nfs} && self != ${SERVER_PORTS.smb}`,
  message: `port ${SERVER_PORTS.nfs} (NFS) and ${SERVER_PORTS.smb} (SMB) are used by the file adapters`,
};

export const StorageSpecSchema = Type.Object(
  {
    metadataSize: Size("Size of the metadata volume (PVC metadata). May grow, never shrink.", cel(positiveSize("metadataSize"), growOnly("metadataSize"))),
    contentSize: Type.Optional(
      Size(
        "Size of the block-content volume (PVC content). Only created when set; cannot be added or removed later. May grow, never shrink.",
        cel(positiveSize("contentSize"), growOnly("contentSize")),
      ),
    ),
    controlPlaneSize: Size("Size of the control-plane volume (PVC controlplane, holds the SQLite database). May grow, never shrink.", {
      default: DEFAULTS.storage.controlPlaneSize,
      ...cel(positiveSize("controlPlaneSize"), growOnly("controlPlaneSize")),
    }),
    storageClassName: Type.Optional(ObjectName("StorageClass of all volumes; the cluster default when omitted. Immutable.")),
  },
  {
    description: "Persistent volumes of the file server. Sizes are whole Mi, Gi or Ti.",
    ...cel(immutableOptional("storageClassName", "storageClassName"), {
      rule: "has(self.contentSize) == has(oldSelf.contentSize)",
      message: "contentSize cannot be added or removed after creation",
      fieldPath: ".contentSize",
    }),
  },
);

export const ControlPlaneSpecSchema = Type.Object(
  {
    port: Port("Port of the DittoFS REST API (and health probes).", { default: DEFAULTS.controlPlane.port, ...cel(notAdapterPort) }),
    tls: Type.Optional(
      Type.Boolean({ description: "Serve the API over HTTPS. HTTPS is on whenever certSecretName is set; true requires certSecretName, false forbids it." }),
    ),
    certSecretName: Type.Optional(ObjectName("kubernetes.io/tls Secret (tls.crt, tls.key) served by the API; turns HTTPS on.")),
    clientCASecretName: Type.Optional(
      ObjectName("Secret with ca.crt; clients must present a certificate signed by it (mTLS, health probes fall back to TCP). Needs certSecretName."),
    ),
    ...OperatorClientCertField,
  },
  {
    description: "DittoFS control-plane API listener.",
    default: {},
    ...cel(
      {
        rule: "!has(self.clientCASecretName) || has(self.certSecretName)",
        message: "clientCASecretName (mTLS) requires certSecretName",
        reason: "FieldValueRequired",
        fieldPath: ".certSecretName",
      },
      {
        rule: "!has(self.tls) || !self.tls || has(self.certSecretName)",
        message: "tls: true requires certSecretName (the server needs a certificate)",
        reason: "FieldValueRequired",
        fieldPath: ".certSecretName",
      },
      {
        rule: "!has(self.tls) || self.tls || !has(self.certSecretName)",
        message: "tls: false contradicts certSecretName, which turns HTTPS on",
        fieldPath: ".tls",
      },
      OPERATOR_CLIENT_CERT_RULE,
    ),
  },
);

const SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer"] as const;
const Annotations = (field: string, what: string) =>
  AnnotationMap(field, `Annotations of the ${what} Service, owned by the operator (removed keys are removed); keys under ${GROUP}/ are reserved.`, 64);

export const ServiceSpecSchema = Type.Object(
  {
    type: StringEnum(SERVICE_TYPES, { description: "Type of the <name>-api Service.", default: DEFAULTS.service.type }),
    annotations: Type.Optional(Annotations("service.annotations", "API")),
  },
  { description: "Service <name>-api exposing the control-plane API.", default: {} },
);

export const AdapterServicesSpecSchema = Type.Object(
  {
    type: StringEnum(SERVICE_TYPES, { description: "Type of the file Service (NFS, SMB).", default: DEFAULTS.adapterServices.type }),
    annotations: Type.Optional(Annotations("adapterServices.annotations", "file")),
  },
  { description: "Service exposing the file adapters (NFS 12049, SMB 1445) to clients.", default: {} },
);

export const ServiceMonitorSpecSchema = Type.Object(
  {
    enabled: Type.Boolean({ description: "Create a Prometheus-operator ServiceMonitor <name>-metrics.", default: DEFAULTS.metrics.serviceMonitor.enabled }),
    interval: Type.Optional(
      Type.String({
        description: "Scrape interval, e.g. 30s or 1m30s (units h, m, s, ms, each at most once, in that order); Prometheus's default when omitted.",
        maxLength: 32,
        // The ServiceMonitor CRD's own pattern (prometheus-operator's Duration) refuses e.g. 5m5m or 30s1m.
        ...cel({
          rule: "self.matches('^([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$') && self != ''",
          message: "metrics.serviceMonitor.interval must be a Prometheus duration such as 30s or 1m30s: units h, m, s, ms, each at most once and in that order",
        }),
      }),
    ),
    labels: Type.Optional(
      LabelMap(
        "metrics.serviceMonitor.labels",
        "Extra labels of the ServiceMonitor, e.g. to match a Prometheus selector; the operator's app.kubernetes.io labels and keys under " +
          `${GROUP}/ are reserved.`,
        32,
        OPERATOR_LABEL_KEYS,
      ),
    ),
  },
  { description: "ServiceMonitor for the metrics endpoint (needs the monitoring.coreos.com CRDs)." },
);

export const MetricsSpecSchema = Type.Object(
  {
    enabled: Type.Boolean({ description: "Expose Prometheus metrics and the Service <name>-metrics.", default: DEFAULTS.metrics.enabled }),
    port: Port("Port of the metrics listener; must differ from controlPlane.port.", { default: DEFAULTS.metrics.port, ...cel(notAdapterPort) }),
    path: Type.String({ description: "HTTP path of the metrics.", pattern: "^/", maxLength: 256, default: DEFAULTS.metrics.path }),
    bearerTokenSecret: Type.Optional(SecretKeyRef("Secret key holding a bearer token scrapers must present; metrics are unauthenticated when omitted.")),
    serviceMonitor: Type.Optional(ServiceMonitorSpecSchema),
  },
  {
    description: "Prometheus metrics of the file server.",
    ...cel({
      rule: "!has(self.serviceMonitor) || !self.serviceMonitor.enabled || self.enabled",
      message: "serviceMonitor.enabled requires metrics.enabled",
      fieldPath: ".serviceMonitor.enabled",
    }),
  },
);

export const LoggingSpecSchema = Type.Object(
  {
    level: StringEnum(["DEBUG", "INFO", "WARN", "ERROR"], { description: "Minimum log level.", default: DEFAULTS.logging.level }),
    format: StringEnum(["text", "json"], { description: "Log line format.", default: DEFAULTS.logging.format }),
    output: Type.String({
      description:
        `stdout, stderr, or a file under the control-plane volume, e.g. ${CONTROL_PLANE_VOLUME_PATH}/log/dittofs.log (rotated ` +
        "by the server). Other paths are refused: the container's root filesystem is read-only and the server exits when " +
        "it cannot open its log file.",
      maxLength: 1024,
      default: DEFAULTS.logging.output,
      ...cel({
        // No segment may start with a dot, so `..` cannot climb out of the volume.
        rule: `self == 'stdout' || self == 'stderr' || self.matches('^${CONTROL_PLANE_VOLUME_PATH}(/[^/.][^/]*)+$')`,
        message:
          `logging.output must be stdout, stderr or a file path under ${CONTROL_PLANE_VOLUME_PATH}/ (the control-plane volume; ` +
          "no '.'-prefixed segments): the root filesystem is read-only and the server exits when it cannot open its log file",
      }),
    }),
  },
  { description: "Logging of the file server." },
);

const PERCONA_ON = (o: string) => `(has(${o}.percona) && ${o}.percona.enabled)`;
const POSTGRES_SECRET = (o: string) => `(has(${o}.database) && has(${o}.database.postgresSecretRef))`;
const STRANDED = "the server would start on an empty database and the existing users, shares and adapters would be left behind; " +
  "to move, create a new DittoServer and migrate the data";

/** The container runs as UID 0: its own runAsUser, else the pod's (the operator's default UID is not 0). */
const RUNS_AS_ROOT =
  "(has(self.securityContext) && has(self.securityContext.runAsUser) ? self.securityContext.runAsUser == 0 : " +
  "has(self.podSecurityContext) && has(self.podSecurityContext.runAsUser) && self.podSecurityContext.runAsUser == 0)";
/** runAsNonRoot of the container: its own, else the operator's default true (which wins over the pod's). */
const EFFECTIVE_NON_ROOT = "(has(self.securityContext) && has(self.securityContext.runAsNonRoot) ? self.securityContext.runAsNonRoot : true)";

const GRACE_BOUND = `(${PRE_STOP_SECONDS + GRACE_SLACK_SECONDS} + 3 * duration(self.shutdownTimeout).getSeconds())`;

export const DittoServerSpecSchema = Type.Object(
  {
    image: Type.String({
      description: "DittoFS server image.",
      minLength: 1,
      maxLength: 512,
      default: DEFAULTS.image,
      // Pod validation (not the StatefulSet's) refuses it: the StatefulSet would be stored and never create its pod.
      ...cel({ rule: "self.trim() == self", message: "image must not have leading or trailing whitespace" }),
    }),
    imagePullPolicy: Type.Optional(StringEnum(["Always", "IfNotPresent", "Never"], { description: "Pull policy of the server image." })),
    imagePullSecrets: Type.Optional(
      Type.Array(Type.Object({ name: ObjectName("Name of a docker-registry Secret.") }, { description: "Image pull Secret reference." }), {
        description: "Secrets used to pull the server image; each name once.",
        maxItems: 16,
        // The pod's list is keyed by name: a name twice would make every apply of the StatefulSet fail.
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
      }),
    ),
    replicas: Type.Integer({ description: "1 runs the file server, 0 stops it (volumes are kept).", format: "int32", minimum: 0, maximum: 1, default: DEFAULTS.replicas }),
    storage: StorageSpecSchema,
    database: Type.Optional(DatabaseSpecSchema),
    controlPlane: ControlPlaneSpecSchema,
    shutdownTimeout: Duration("Per-stage graceful shutdown timeout of the server (1s..1h, h/m/s units).", {
      default: DEFAULTS.shutdownTimeout,
      ...cel({ rule: "duration(self) >= duration('1s') && duration(self) <= duration('1h')", message: "shutdownTimeout must be between 1s and 1h" }),
    }),
    terminationGracePeriodSeconds: Type.Optional(
      Type.Integer({
        description: `Pod grace period. Default ${PRE_STOP_SECONDS} (preStop) + 3 × shutdownTimeout + ${GRACE_SLACK_SECONDS}; when set it must be at least that.`,
        format: "int64",
        minimum: MIN_TERMINATION_GRACE_PERIOD_SECONDS,
        maximum: 86400,
      }),
    ),
    identity: Type.Optional(IdentitySpecSchema),
    service: ServiceSpecSchema,
    adapterServices: AdapterServicesSpecSchema,
    adapterDiscovery: AdapterDiscoverySpecSchema,
    networkPolicy: NetworkPolicySpecSchema,
    snapshotPolicies: Type.Optional(SnapshotPoliciesSchema),
    stores: Type.Optional(StoresSpecSchema),
    metrics: Type.Optional(MetricsSpecSchema),
    logging: Type.Optional(LoggingSpecSchema),
    percona: Type.Optional(PerconaSpecSchema),
    resources: Type.Optional(ResourceRequirementsSchema),
    securityContext: Type.Optional(SecurityContextSchema),
    podSecurityContext: Type.Optional(PodSecurityContextSchema),
    nodeSelector: Type.Optional(LabelMap("nodeSelector", "Node labels the pod must match.", 32)),
    tolerations: Type.Optional(Type.Array(TolerationSchema, { description: "Tolerations of the pod.", maxItems: 32 })),
    affinity: Type.Optional(AffinitySchema),
    priorityClassName: Type.Optional(ObjectName("PriorityClass of the pod.")),
    podLabels: Type.Optional(
      LabelMap(
        "podLabels",
        `Extra labels of the pod; the operator's app.kubernetes.io/{name,instance,component,managed-by,part-of} and keys under ${GROUP}/ are reserved.`,
        32,
        OPERATOR_LABEL_KEYS,
      ),
    ),
    podAnnotations: Type.Optional(
      AnnotationMap(
        "podAnnotations",
        `Extra annotations of the pod; keys under ${GROUP}/ are reserved, and so are the annotation forms of tolerations, seccomp ` +
          "and AppArmor (use the fields) and the mirror-pod and deletion-cost annotations.",
        32,
        NO_POD_SEMANTIC_ANNOTATIONS,
      ),
    ),
  },
  {
    description: "Desired state of a DittoFS file server.",
    ...cel(
      LOCAL_BLOCK_STORE_RULE,
      {
        // The kubelet refuses to start such a container (CreateContainerConfigError) after everything was created.
        rule: `!${RUNS_AS_ROOT} || !${EFFECTIVE_NON_ROOT}`,
        message:
          "the container would run as root (runAsUser 0) while runAsNonRoot is true (the operator's default): set " +
          "securityContext.runAsNonRoot: false to run as root, or another runAsUser",
        fieldPath: ".securityContext",
      },
      {
        rule: "!has(self.metrics) || !self.metrics.enabled || self.metrics.port != self.controlPlane.port",
        message: "metrics.port must differ from controlPlane.port",
        fieldPath: ".metrics.port",
      },
      {
        rule: `!has(self.terminationGracePeriodSeconds) || self.terminationGracePeriodSeconds >= ${GRACE_BOUND}`,
        message: `terminationGracePeriodSeconds must be at least ${PRE_STOP_SECONDS} (preStop) + 3 × shutdownTimeout + ${GRACE_SLACK_SECONDS} seconds`,
        fieldPath: ".terminationGracePeriodSeconds",
      },
      {
        rule: "!(has(self.percona) && self.percona.enabled && has(self.database) && has(self.database.postgresSecretRef))",
        message: "percona.enabled and database.postgresSecretRef are mutually exclusive: choose one PostgreSQL",
        fieldPath: ".database.postgresSecretRef",
      },
      {
        rule: "!(has(self.percona) && self.percona.enabled && has(self.database) && has(self.database.type) && self.database.type == 'sqlite')",
        message: "percona.enabled uses PostgreSQL: database.type must be postgres or omitted",
        fieldPath: ".database.type",
      },
      {
        rule: "!(has(self.percona) && self.percona.enabled && has(self.database) && has(self.database.sqlite))",
        message: "database.sqlite does not apply when percona.enabled provides PostgreSQL",
        fieldPath: ".database.sqlite",
      },
      {
        rule:
          "!(has(self.database) && has(self.database.type) && self.database.type == 'postgres') || " +
          "has(self.database.postgresSecretRef) || (has(self.percona) && self.percona.enabled)",
        message: "database.type postgres requires database.postgresSecretRef or percona.enabled",
        reason: "FieldValueRequired",
        fieldPath: ".database.postgresSecretRef",
      },
      // The effective database (sqlite, external PostgreSQL, Percona) is fixed at creation: see derived.ts.
      {
        rule: `${PERCONA_ON("self")} == ${PERCONA_ON("oldSelf")}`,
        message: `percona.enabled cannot be turned on or off after creation: ${STRANDED}`,
        fieldPath: ".percona.enabled",
      },
      {
        rule: `${POSTGRES_SECRET("self")} == ${POSTGRES_SECRET("oldSelf")}`,
        message: `database.postgresSecretRef cannot be added or removed after creation (it switches between SQLite and PostgreSQL): ${STRANDED}`,
        fieldPath: ".database.postgresSecretRef",
      },
    ),
  },
);
