/**
 * Typed subsets of upstream Kubernetes types the spec passes through to the pod: resources, security contexts,
 * tolerations, affinity. Typed (rather than preserve-unknown-fields) so `kubectl explain` documents them and the
 * API server rejects typos at admission instead of the StatefulSet failing later. Fields outside the subset are
 * not accepted.
 */
import { Type } from "@sinclair/typebox";
import { IntOrString, Labels, QUANTITY_PATTERN, StringEnum, StringMap } from "./helpers.ts";

const Int64 = (description: string) => Type.Integer({ description, format: "int64" });
const ShortString = (description: string, maxLength = 253) => Type.String({ description, maxLength });

const Quantities = (description: string) =>
  StringMap(IntOrString({ pattern: QUANTITY_PATTERN }), description, 16);

export const ResourceRequirementsSchema = Type.Object(
  {
    limits: Type.Optional(Quantities("Maximum amount of compute resources allowed, e.g. cpu: \"2\", memory: 4Gi.")),
    requests: Type.Optional(Quantities("Minimum amount of compute resources required, e.g. cpu: 500m, memory: 1Gi.")),
  },
  { description: "Compute resources of the dittofs container (core/v1 ResourceRequirements)." },
);

const SeccompProfileSchema = Type.Object(
  {
    type: StringEnum(["RuntimeDefault", "Unconfined", "Localhost"], { description: "Kind of seccomp profile." }),
    localhostProfile: Type.Optional(ShortString("Profile file on the node, relative to the kubelet's seccomp root; only with type Localhost.")),
  },
  { description: "Seccomp profile of the container or pod." },
);

const AppArmorProfileSchema = Type.Object(
  {
    type: StringEnum(["RuntimeDefault", "Unconfined", "Localhost"], { description: "Kind of AppArmor profile." }),
    localhostProfile: Type.Optional(ShortString("Profile loaded on the node; only with type Localhost.")),
  },
  { description: "AppArmor profile of the container or pod." },
);

const SELinuxOptionsSchema = Type.Object(
  {
    user: Type.Optional(ShortString("SELinux user label.", 63)),
    role: Type.Optional(ShortString("SELinux role label.", 63)),
    type: Type.Optional(ShortString("SELinux type label.", 63)),
    level: Type.Optional(ShortString("SELinux level label.", 63)),
  },
  { description: "SELinux context applied to the container or pod." },
);

const CapabilityList = (description: string) =>
  Type.Array(Type.String({ maxLength: 64 }), { description, maxItems: 64 });

export const SecurityContextSchema = Type.Object(
  {
    allowPrivilegeEscalation: Type.Optional(Type.Boolean({ description: "Whether a process can gain more privileges than its parent. Operator default: false." })),
    capabilities: Type.Optional(
      Type.Object(
        {
          add: Type.Optional(CapabilityList("Capabilities to add, e.g. NET_BIND_SERVICE.")),
          drop: Type.Optional(CapabilityList("Capabilities to drop. Operator default: [ALL].")),
        },
        { description: "POSIX capabilities to add or drop." },
      ),
    ),
    privileged: Type.Optional(Type.Boolean({ description: "Run the container privileged." })),
    readOnlyRootFilesystem: Type.Optional(Type.Boolean({ description: "Mount the root filesystem read-only." })),
    runAsGroup: Type.Optional(Int64("GID of the container process.")),
    runAsNonRoot: Type.Optional(Type.Boolean({ description: "Refuse to start as UID 0. Operator default: true." })),
    runAsUser: Type.Optional(Int64("UID of the container process.")),
    seccompProfile: Type.Optional(SeccompProfileSchema),
    appArmorProfile: Type.Optional(AppArmorProfileSchema),
    seLinuxOptions: Type.Optional(SELinuxOptionsSchema),
  },
  {
    description:
      "Security context of the dittofs container. Fields you set win; unset ones keep the operator's secure " +
      "defaults (allowPrivilegeEscalation false, runAsNonRoot true, capabilities drop ALL, seccomp RuntimeDefault).",
  },
);

export const PodSecurityContextSchema = Type.Object(
  {
    fsGroup: Type.Optional(Int64("GID owning mounted volumes. Operator default: 65532.")),
    fsGroupChangePolicy: Type.Optional(StringEnum(["OnRootMismatch", "Always"], { description: "When volume ownership is changed to fsGroup." })),
    runAsGroup: Type.Optional(Int64("GID of all container processes.")),
    runAsNonRoot: Type.Optional(Type.Boolean({ description: "Refuse to start containers as UID 0." })),
    runAsUser: Type.Optional(Int64("UID of all container processes.")),
    supplementalGroups: Type.Optional(Type.Array(Int64("GID."), { description: "Extra GIDs of the first process.", maxItems: 32 })),
    sysctls: Type.Optional(
      Type.Array(
        Type.Object(
          { name: ShortString("Sysctl name."), value: ShortString("Sysctl value.") },
          { description: "One namespaced sysctl." },
        ),
        { description: "Namespaced sysctls set for the pod.", maxItems: 32 },
      ),
    ),
    seccompProfile: Type.Optional(SeccompProfileSchema),
    appArmorProfile: Type.Optional(AppArmorProfileSchema),
    seLinuxOptions: Type.Optional(SELinuxOptionsSchema),
  },
  { description: "Pod-level security context. When set it replaces the operator default {fsGroup: 65532}." },
);

export const TolerationSchema = Type.Object(
  {
    key: Type.Optional(ShortString("Taint key; empty with operator Exists matches every taint.", 317)),
    operator: Type.Optional(StringEnum(["Exists", "Equal"], { description: "Key relation to the value. Default Equal." })),
    value: Type.Optional(ShortString("Taint value to match with operator Equal.", 63)),
    effect: Type.Optional(StringEnum(["NoSchedule", "PreferNoSchedule", "NoExecute"], { description: "Taint effect to match; empty matches all." })),
    tolerationSeconds: Type.Optional(Int64("How long a NoExecute taint is tolerated before eviction.")),
  },
  { description: "Toleration of the file-server pod (core/v1 Toleration)." },
);

const Requirement = (what: string, operators: readonly string[]) =>
  Type.Object(
    {
      key: ShortString(`${what} key.`, 317),
      operator: StringEnum(operators, { description: "Relation between the key and the values." }),
      values: Type.Optional(Type.Array(Type.String({ maxLength: 63 }), { description: "Values for In/NotIn (or one number for Gt/Lt).", maxItems: 64 })),
    },
    { description: `${what} requirement.` },
  );

const NODE_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"] as const;

const NodeSelectorTermSchema = Type.Object(
  {
    matchExpressions: Type.Optional(Type.Array(Requirement("Node label", NODE_OPERATORS), { description: "Requirements on node labels.", maxItems: 16 })),
    matchFields: Type.Optional(Type.Array(Requirement("Node field", NODE_OPERATORS), { description: "Requirements on node fields.", maxItems: 16 })),
  },
  { description: "Node selector term; its requirements are ANDed." },
);

export const LabelSelectorSchema = Type.Object(
  {
    matchLabels: Type.Optional(Labels("Labels that must all match.")),
    matchExpressions: Type.Optional(
      Type.Array(Requirement("Label", ["In", "NotIn", "Exists", "DoesNotExist"]), { description: "Label requirements, ANDed.", maxItems: 16 }),
    ),
  },
  { description: "Label selector (meta/v1 LabelSelector)." },
);

const PodAffinityTermSchema = Type.Object(
  {
    labelSelector: Type.Optional(LabelSelectorSchema),
    namespaceSelector: Type.Optional(LabelSelectorSchema),
    namespaces: Type.Optional(Type.Array(Type.String({ maxLength: 63 }), { description: "Namespaces the selector applies to; empty = this namespace.", maxItems: 32 })),
    topologyKey: ShortString("Node label whose value defines co-location, e.g. kubernetes.io/hostname.", 317),
    matchLabelKeys: Type.Optional(Type.Array(Type.String({ maxLength: 317 }), { description: "Pod label keys whose values are ANDed into labelSelector.", maxItems: 16 })),
    mismatchLabelKeys: Type.Optional(Type.Array(Type.String({ maxLength: 317 }), { description: "Pod label keys whose values must differ.", maxItems: 16 })),
  },
  { description: "Pods to be co-located (affinity) or not (anti-affinity) with, within a topology domain." },
);

const WeightedPodAffinityTermSchema = Type.Object(
  {
    weight: Type.Integer({ description: "Weight 1..100 of this preference.", format: "int32", minimum: 1, maximum: 100 }),
    podAffinityTerm: PodAffinityTermSchema,
  },
  { description: "Preferred pod (anti-)affinity term with a weight." },
);

const PodAffinitySchema = (what: string) =>
  Type.Object(
    {
      requiredDuringSchedulingIgnoredDuringExecution: Type.Optional(
        Type.Array(PodAffinityTermSchema, { description: `Hard ${what} rules.`, maxItems: 16 }),
      ),
      preferredDuringSchedulingIgnoredDuringExecution: Type.Optional(
        Type.Array(WeightedPodAffinityTermSchema, { description: `Soft ${what} rules.`, maxItems: 16 }),
      ),
    },
    { description: `Pod ${what} rules.` },
  );

export const AffinitySchema = Type.Object(
  {
    nodeAffinity: Type.Optional(
      Type.Object(
        {
          requiredDuringSchedulingIgnoredDuringExecution: Type.Optional(
            Type.Object(
              { nodeSelectorTerms: Type.Array(NodeSelectorTermSchema, { description: "Terms, ORed.", maxItems: 16 }) },
              { description: "Hard node requirement." },
            ),
          ),
          preferredDuringSchedulingIgnoredDuringExecution: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  weight: Type.Integer({ description: "Weight 1..100 of this preference.", format: "int32", minimum: 1, maximum: 100 }),
                  preference: NodeSelectorTermSchema,
                },
                { description: "Preferred node term with a weight." },
              ),
              { description: "Soft node preferences.", maxItems: 16 },
            ),
          ),
        },
        { description: "Node affinity of the file-server pod." },
      ),
    ),
    podAffinity: Type.Optional(PodAffinitySchema("affinity")),
    podAntiAffinity: Type.Optional(PodAffinitySchema("anti-affinity")),
  },
  { description: "Scheduling affinity of the file-server pod (core/v1 Affinity)." },
);
