/**
 * Typed subsets of upstream Kubernetes types the spec passes through to the pod: resources, security contexts,
 * tolerations, affinity. Typed (rather than preserve-unknown-fields) so `kubectl explain` documents them and the
 * API server rejects typos at admission instead of the StatefulSet failing later. Fields outside the subset are
 * not accepted.
 */
import { Type } from "@sinclair/typebox";
import { cel, IntOrString, QUANTITY_PATTERN, StringEnum, StringMap } from "./helpers.ts";
import type { CelRule } from "./helpers.ts";
import { isDnsLabel, isLabelValue, isQualifiedName, isSysctlName, LABEL_VALUE_SYNTAX, LabelMap, QUALIFIED_NAME_SYNTAX } from "./syntax.ts";

const Int64 = (description: string) => Type.Integer({ description, format: "int64" });
/** UIDs and GIDs: the API server accepts 0..2147483647. */
const Id = (description: string) => Type.Integer({ description, format: "int64", minimum: 0, maximum: 2147483647 });
const ShortString = (description: string, maxLength = 253) => Type.String({ description, maxLength });

/** CEL over a resource name `k`: the API server's container resource names. */
const PAGE = "k.substring(10)";
const HUGEPAGES = "k.startsWith('hugepages-')";
const NATIVE = "(k.indexOf('/') < 0 || k.contains('kubernetes.io/'))";
const EXTENDED = `!${NATIVE}`;
const OVERCOMMIT = `(${NATIVE} && !${HUGEPAGES})`;
const RESOURCE_NAME =
  `(${isQualifiedName("k")} && (k.indexOf('/') >= 0 ? (${NATIVE} || (!k.startsWith('requests.') && ${isQualifiedName("'requests.' + k")})) : ` +
  `(k in ['cpu', 'memory', 'ephemeral-storage'] || (${HUGEPAGES} && isQuantity(${PAGE}) && quantity(${PAGE}).isInteger() && quantity(${PAGE}).isGreaterThan(quantity('0'))))))`;
/** CEL over the quantity `q` (a string) of resource `k`. */
const QUANTITY_OK =
  `(isQuantity(q) && !quantity(q).isLessThan(quantity('0')) && (!${EXTENDED} || quantity(q).isInteger()) && ` +
  `(!${HUGEPAGES} || (quantity(q).isInteger() && quantity(q).asInteger() % quantity(${PAGE}).asInteger() == 0)))`;

const Quantities = (field: string, description: string) => ({
  ...StringMap(IntOrString({ pattern: QUANTITY_PATTERN }), description, 16),
  ...cel(
    {
      rule: `self.all(k, ${RESOURCE_NAME})`,
      messageExpression:
        `'${field}: "' + self.filter(k, !${RESOURCE_NAME})[0] + '" is not a container resource: use cpu, memory, ephemeral-storage, ` +
        "hugepages-<page size> or an extended resource <domain>/<name> (domain not kubernetes.io, at most 244 characters)'",
    },
    {
      rule: `self.all(k, !${RESOURCE_NAME} || [string(self[k])].all(q, ${QUANTITY_OK}))`,
      messageExpression:
        `'${field}: the quantity of "' + self.filter(k, ${RESOURCE_NAME} && ![string(self[k])].all(q, ${QUANTITY_OK}))[0] + '" is invalid: quantities must not be ` +
        "negative, extended resources take whole numbers, hugepages a whole multiple of the page size'",
    },
  ),
});

const hasResource = (map: string, test: string) => `(has(self.${map}) && self.${map}.exists(k, ${test}))`;

export const ResourceRequirementsSchema = Type.Object(
  {
    limits: Type.Optional(Quantities("resources.limits", "Maximum amount of compute resources allowed, e.g. cpu: \"2\", memory: 4Gi.")),
    requests: Type.Optional(Quantities("resources.requests", "Minimum amount of compute resources required, e.g. cpu: 500m, memory: 1Gi.")),
  },
  {
    description: "Compute resources of the dittofs container (core/v1 ResourceRequirements).",
    ...cel(
      {
        rule: `!(${hasResource("limits", HUGEPAGES)} || ${hasResource("requests", HUGEPAGES)}) || ${hasResource("limits", "k in ['cpu', 'memory']")} || ${hasResource("requests", "k in ['cpu', 'memory']")}`,
        message: "resources with hugepages must also request or limit cpu or memory",
        reason: "FieldValueRequired",
      },
      {
        rule: `!has(self.requests) || self.requests.all(k, ${OVERCOMMIT} || (has(self.limits) && k in self.limits))`,
        messageExpression:
          `'resources.limits must set "' + self.requests.filter(k, !(${OVERCOMMIT} || (has(self.limits) && k in self.limits)))[0] + ` +
          "'\" too: hugepages and extended resources cannot be overcommitted (request equals limit)'",
        reason: "FieldValueRequired",
        fieldPath: ".limits",
      },
      {
        rule:
          `!has(self.requests) || !has(self.limits) || self.requests.all(k, !(k in self.limits) || !isQuantity(string(self.requests[k])) || ` +
          `!isQuantity(string(self.limits[k])) || ` +
          `[quantity(string(self.requests[k])).compareTo(quantity(string(self.limits[k])))].all(c, ${OVERCOMMIT} ? c <= 0 : c == 0))`,
        message: "resources.requests must not exceed resources.limits, and must equal them for hugepages and extended resources",
        fieldPath: ".requests",
      },
    ),
  },
);

const localhostOnly = (what: string): CelRule[] => [
  {
    rule: "self.type != 'Localhost' || has(self.localhostProfile)",
    message: `${what}.localhostProfile is required when type is Localhost`,
    reason: "FieldValueRequired",
    fieldPath: ".localhostProfile",
  },
  {
    rule: "self.type == 'Localhost' || !has(self.localhostProfile)",
    message: `${what}.localhostProfile can only be set when type is Localhost`,
    reason: "FieldValueForbidden",
    fieldPath: ".localhostProfile",
  },
];

const SeccompProfileSchema = Type.Object(
  {
    type: StringEnum(["RuntimeDefault", "Unconfined", "Localhost"], { description: "Kind of seccomp profile." }),
    localhostProfile: Type.Optional(
      ShortString("Profile file on the node, relative to the kubelet's seccomp root (no '..' segments); only with type Localhost.", 253),
    ),
  },
  {
    description: "Seccomp profile of the container or pod.",
    ...cel(...localhostOnly("seccompProfile"), {
      rule: "!has(self.localhostProfile) || (!self.localhostProfile.startsWith('/') && !self.localhostProfile.matches('(^|/)[.][.](/|$)'))",
      message: "seccompProfile.localhostProfile must be a relative path without '..' segments",
      fieldPath: ".localhostProfile",
    }),
  },
);

const AppArmorProfileSchema = Type.Object(
  {
    type: StringEnum(["RuntimeDefault", "Unconfined", "Localhost"], { description: "Kind of AppArmor profile." }),
    localhostProfile: Type.Optional(ShortString("Profile loaded on the node; only with type Localhost.")),
  },
  {
    description: "AppArmor profile of the container or pod.",
    ...cel(...localhostOnly("appArmorProfile"), {
      rule: "!has(self.localhostProfile) || (self.localhostProfile != '' && self.localhostProfile.trim() == self.localhostProfile)",
      message: "appArmorProfile.localhostProfile must be a non-empty profile name without leading or trailing whitespace",
      fieldPath: ".localhostProfile",
    }),
  },
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
    runAsGroup: Type.Optional(Id("GID of the container process.")),
    runAsNonRoot: Type.Optional(Type.Boolean({ description: "Refuse to start as UID 0. Operator default: true." })),
    runAsUser: Type.Optional(Id("UID of the container process.")),
    seccompProfile: Type.Optional(SeccompProfileSchema),
    appArmorProfile: Type.Optional(AppArmorProfileSchema),
    seLinuxOptions: Type.Optional(SELinuxOptionsSchema),
  },
  {
    description:
      "Security context of the dittofs container. Fields you set win; unset ones keep the operator's secure " +
      "defaults (allowPrivilegeEscalation false, runAsNonRoot true, capabilities drop ALL, seccomp RuntimeDefault). " +
      "privileged: true and adding CAP_SYS_ADMIN need allowPrivilegeEscalation: true.",
    // allowPrivilegeEscalation defaults to false here (not in Kubernetes), so leaving it out counts as false.
    ...cel(
      {
        rule: "!(has(self.privileged) && self.privileged) || (has(self.allowPrivilegeEscalation) && self.allowPrivilegeEscalation)",
        message:
          "securityContext.privileged: true needs allowPrivilegeEscalation: true (the operator's default is false, and Kubernetes " +
          "refuses a privileged container that may not escalate)",
        fieldPath: ".allowPrivilegeEscalation",
      },
      {
        rule:
          "!(has(self.capabilities) && has(self.capabilities.add) && 'CAP_SYS_ADMIN' in self.capabilities.add) || " +
          "(has(self.allowPrivilegeEscalation) && self.allowPrivilegeEscalation)",
        message:
          "securityContext.capabilities.add CAP_SYS_ADMIN needs allowPrivilegeEscalation: true (the operator's default is false, and " +
          "Kubernetes refuses CAP_SYS_ADMIN without escalation)",
        fieldPath: ".allowPrivilegeEscalation",
      },
    ),
  },
);

export const PodSecurityContextSchema = Type.Object(
  {
    fsGroup: Type.Optional(Id("GID owning mounted volumes. Operator default: 65532.")),
    fsGroupChangePolicy: Type.Optional(StringEnum(["OnRootMismatch", "Always"], { description: "When volume ownership is changed to fsGroup." })),
    runAsGroup: Type.Optional(Id("GID of all container processes.")),
    runAsNonRoot: Type.Optional(Type.Boolean({ description: "Refuse to start containers as UID 0." })),
    runAsUser: Type.Optional(Id("UID of all container processes.")),
    supplementalGroups: Type.Optional(Type.Array(Id("GID."), { description: "Extra GIDs of the first process.", maxItems: 32 })),
    sysctls: Type.Optional(
      Type.Array(
        Type.Object(
          { name: ShortString("Sysctl name, e.g. net.ipv4.ip_local_port_range."), value: ShortString("Sysctl value.") },
          {
            description: "One namespaced sysctl.",
            ...cel({
              rule: isSysctlName("self.name"),
              message: "sysctl name must be lowercase alphanumeric segments ('-' and '_' inside) separated by '.' or '/'",
              fieldPath: ".name",
            }),
          },
        ),
        {
          description: "Namespaced sysctls set for the pod.",
          maxItems: 32,
          ...cel({ rule: "self.all(a, self.exists_one(b, b.name == a.name))", message: "podSecurityContext.sysctls: each name may appear only once" }),
        },
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
    tolerationSeconds: Type.Optional(Int64("How long a NoExecute taint is tolerated before eviction; only with effect NoExecute.")),
  },
  {
    description: "Toleration of the file-server pod (core/v1 Toleration).",
    ...cel(
      {
        rule: `!has(self.key) || self.key == '' || ${isQualifiedName("self.key")}`,
        message: `toleration key must be a qualified name (${QUALIFIED_NAME_SYNTAX})`,
        fieldPath: ".key",
      },
      {
        rule: "(has(self.key) && self.key != '') || (has(self.operator) && self.operator == 'Exists')",
        message: "toleration operator must be Exists when key is empty (it then matches every taint)",
        fieldPath: ".operator",
      },
      {
        rule: "!has(self.tolerationSeconds) || (has(self.effect) && self.effect == 'NoExecute')",
        message: "toleration tolerationSeconds needs effect NoExecute",
        fieldPath: ".effect",
      },
      {
        rule: "!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value == ''",
        message: "toleration value must be empty when operator is Exists",
        reason: "FieldValueForbidden",
        fieldPath: ".value",
      },
      {
        rule: `(has(self.operator) && self.operator == 'Exists') || !has(self.value) || ${isLabelValue("self.value")}`,
        message: `toleration value must be a label value (${LABEL_VALUE_SYNTAX})`,
        fieldPath: ".value",
      },
    ),
  },
);

const hasValues = "(has(self.values) && self.values.size() > 0)";

/** The values each operator requires, as the API server checks them. */
const VALUES_BY_OPERATOR: CelRule[] = [
  {
    rule: `!(self.operator in ['In', 'NotIn']) || ${hasValues}`,
    message: "values must be given when operator is In or NotIn",
    reason: "FieldValueRequired",
    fieldPath: ".values",
  },
  {
    rule: `!(self.operator in ['Exists', 'DoesNotExist']) || !${hasValues}`,
    message: "values must be empty when operator is Exists or DoesNotExist",
    reason: "FieldValueForbidden",
    fieldPath: ".values",
  },
];

/** A requirement on labels: node labels (`numeric`: with Gt/Lt) or pod/namespace labels. */
const LabelRequirement = (what: string, operators: readonly string[], numeric: boolean) =>
  Type.Object(
    {
      key: ShortString(`${what} key.`, 317),
      operator: StringEnum(operators, { description: "Relation between the key and the values." }),
      values: Type.Optional(
        Type.Array(Type.String({ maxLength: 63 }), { description: numeric ? "Values for In/NotIn, or one integer for Gt/Lt." : "Values for In/NotIn.", maxItems: 64 }),
      ),
    },
    {
      description: `${what} requirement.`,
      ...cel(
        { rule: isQualifiedName("self.key"), message: `key must be a label key (${QUALIFIED_NAME_SYNTAX})`, fieldPath: ".key" },
        ...VALUES_BY_OPERATOR,
        ...(numeric
          ? [{
            rule: "!(self.operator in ['Gt', 'Lt']) || (has(self.values) && self.values.size() == 1 && self.values[0].matches('^-?[0-9]{1,18}$'))",
            message: "operator Gt or Lt takes exactly one value, an integer",
            fieldPath: ".values",
          }]
          : []),
        { rule: `!has(self.values) || self.values.all(v, ${isLabelValue("v")})`, message: `values must be label values (${LABEL_VALUE_SYNTAX})`, fieldPath: ".values" },
      ),
    },
  );

/** matchFields: the API server knows one node field, metadata.name, with In or NotIn and one node name. */
const NodeFieldRequirementSchema = Type.Object(
  {
    key: StringEnum(["metadata.name"], { description: "Node field; metadata.name is the only one supported." }),
    operator: StringEnum(["In", "NotIn"], { description: "Relation between the node name and the value." }),
    values: Type.Array(Type.String({ maxLength: 253 }), { description: "Exactly one node name.", minItems: 1, maxItems: 1 }),
  },
  {
    description: "Node field requirement.",
    ...cel({
      rule: "self.values.all(v, v.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'))",
      message: "matchFields value must be a node name (a lowercase DNS subdomain)",
      fieldPath: ".values",
    }),
  },
);

const NODE_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"] as const;

const NodeSelectorTermSchema = Type.Object(
  {
    matchExpressions: Type.Optional(
      Type.Array(LabelRequirement("Node label", NODE_OPERATORS, true), { description: "Requirements on node labels.", maxItems: 16 }),
    ),
    matchFields: Type.Optional(Type.Array(NodeFieldRequirementSchema, { description: "Requirements on node fields.", maxItems: 16 })),
  },
  { description: "Node selector term; its requirements are ANDed." },
);

export const LabelSelectorSchema = Type.Object(
  {
    matchLabels: Type.Optional(LabelMap("matchLabels", "Labels that must all match.", 64)),
    matchExpressions: Type.Optional(
      Type.Array(LabelRequirement("Label", ["In", "NotIn", "Exists", "DoesNotExist"], false), { description: "Label requirements, ANDed.", maxItems: 16 }),
    ),
  },
  { description: "Label selector (meta/v1 LabelSelector)." },
);

const LabelKeys = (description: string) =>
  Type.Array(Type.String({ maxLength: 317 }), {
    description,
    maxItems: 16,
    ...cel({ rule: `self.all(k, ${isQualifiedName("k")})`, message: `each entry must be a label key (${QUALIFIED_NAME_SYNTAX})` }),
  });

/** A key of matchLabelKeys also found in the labelSelector. */
const inSelector = (k: string) =>
  `((has(self.labelSelector.matchLabels) && ${k} in self.labelSelector.matchLabels) || ` +
  `(has(self.labelSelector.matchExpressions) && self.labelSelector.matchExpressions.exists(e, e.key == ${k})))`;

const PodAffinityTermSchema = Type.Object(
  {
    labelSelector: Type.Optional(LabelSelectorSchema),
    namespaceSelector: Type.Optional(LabelSelectorSchema),
    namespaces: Type.Optional(
      Type.Array(Type.String({ maxLength: 63 }), {
        description: "Namespaces the selector applies to; empty = this namespace.",
        maxItems: 32,
        ...cel({ rule: `self.all(n, ${isDnsLabel("n")})`, message: "namespaces must be namespace names (lowercase DNS labels of at most 63 characters)" }),
      }),
    ),
    topologyKey: ShortString("Node label whose value defines co-location, e.g. kubernetes.io/hostname.", 317),
    matchLabelKeys: Type.Optional(LabelKeys("Pod label keys whose values are ANDed into labelSelector; needs labelSelector, and a key may not also be in it.")),
    mismatchLabelKeys: Type.Optional(LabelKeys("Pod label keys whose values must differ; needs labelSelector.")),
  },
  {
    description: "Pods to be co-located (affinity) or not (anti-affinity) with, within a topology domain.",
    ...cel(
      { rule: isQualifiedName("self.topologyKey"), message: `topologyKey must be a label key (${QUALIFIED_NAME_SYNTAX})`, fieldPath: ".topologyKey" },
      {
        rule: "has(self.labelSelector) || ((!has(self.matchLabelKeys) || self.matchLabelKeys.size() == 0) && (!has(self.mismatchLabelKeys) || self.mismatchLabelKeys.size() == 0))",
        message: "matchLabelKeys and mismatchLabelKeys need a labelSelector",
        reason: "FieldValueRequired",
        fieldPath: ".labelSelector",
      },
      {
        rule: "!has(self.matchLabelKeys) || !has(self.mismatchLabelKeys) || self.matchLabelKeys.all(k, !(k in self.mismatchLabelKeys))",
        message: "a key cannot be in both matchLabelKeys and mismatchLabelKeys",
        fieldPath: ".matchLabelKeys",
      },
      {
        // The API server merges matchLabelKeys into the pod's labelSelector and then refuses a key that is already there.
        rule: `!has(self.matchLabelKeys) || !has(self.labelSelector) || self.matchLabelKeys.all(k, !${inSelector("k")})`,
        message: "a key of matchLabelKeys cannot also be in labelSelector",
        fieldPath: ".matchLabelKeys",
      },
    ),
  },
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
              { nodeSelectorTerms: Type.Array(NodeSelectorTermSchema, { description: "Terms, ORed; at least one.", minItems: 1, maxItems: 16 }) },
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
