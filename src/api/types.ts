/**
 * TypeScript types of the DittoServer v1alpha1 API, derived from the TypeBox schema (`./schema/`), which is also
 * the source of the CRD. They describe an object **as read from the API server**, i.e. after defaulting: a field
 * with a schema default is always present when its parent object is; `service`, `adapterServices` and
 * `controlPlane` default to `{}` and so are always present. Optional parents without a default (`metrics`,
 * `percona`, `logging`, …) may be absent; use `DEFAULTS` from `./defaults.ts` then.
 */
import type { Static } from "@sinclair/typebox";
import type { DittoServerSchema } from "./schema/dittoserver.ts";
import type {
  DatabaseSpecSchema,
  PerconaBackupSpecSchema,
  PerconaSpecSchema,
  PostgresSecretKeysSchema,
  PostgresSecretRefSchema,
} from "./schema/database.ts";
import type {
  AdminSpecSchema,
  IdentitySpecSchema,
  JwtSpecSchema,
  KerberosSpecSchema,
  LdapSpecSchema,
  MachineAccountSpecSchema,
} from "./schema/identity.ts";
import type {
  AffinitySchema,
  LabelSelectorSchema,
  PodSecurityContextSchema,
  ResourceRequirementsSchema,
  SecurityContextSchema,
  TolerationSchema,
} from "./schema/kube.ts";
import type {
  AdapterServicesSpecSchema,
  ControlPlaneSpecSchema,
  DittoServerSpecSchema,
  LoggingSpecSchema,
  MetricsSpecSchema,
  ServiceMonitorSpecSchema,
  ServiceSpecSchema,
  StorageSpecSchema,
} from "./schema/spec.ts";
import type { ConditionSchema, DittoServerStatusSchema } from "./schema/status.ts";
import type { ApiPeerSchema, NetworkPolicySpecSchema } from "./schema/network-policy.ts";
import type { AdapterDiscoverySpecSchema, AdapterStatusSchema, SnapshotPolicySpecSchema, SnapshotPolicyStatusSchema } from "./schema/dittofs-api.ts";
import type { StoresSpecSchema, StoreStatusSchema } from "./schema/stores.ts";

export type DittoServer = Static<typeof DittoServerSchema>;
export type DittoServerSpec = Static<typeof DittoServerSpecSchema>;
export type DittoServerStatus = Static<typeof DittoServerStatusSchema>;
export type DittoServerCondition = Static<typeof ConditionSchema>;
export type DittoServerPhase = NonNullable<DittoServerStatus["phase"]>;

export type StorageSpec = Static<typeof StorageSpecSchema>;
export type DatabaseSpec = Static<typeof DatabaseSpecSchema>;
export type DatabaseType = NonNullable<DatabaseSpec["type"]>;
export type PostgresSecretRef = Static<typeof PostgresSecretRefSchema>;
export type PostgresSecretKeys = Static<typeof PostgresSecretKeysSchema>;
export type PerconaSpec = Static<typeof PerconaSpecSchema>;
export type PerconaBackupSpec = Static<typeof PerconaBackupSpecSchema>;
export type ControlPlaneSpec = Static<typeof ControlPlaneSpecSchema>;
export type IdentitySpec = Static<typeof IdentitySpecSchema>;
export type JwtSpec = Static<typeof JwtSpecSchema>;
export type AdminSpec = Static<typeof AdminSpecSchema>;
export type LdapSpec = Static<typeof LdapSpecSchema>;
export type KerberosSpec = Static<typeof KerberosSpecSchema>;
export type MachineAccountSpec = Static<typeof MachineAccountSpecSchema>;
export type ServiceSpec = Static<typeof ServiceSpecSchema>;
export type AdapterServicesSpec = Static<typeof AdapterServicesSpecSchema>;
export type ServiceType = ServiceSpec["type"];
export type MetricsSpec = Static<typeof MetricsSpecSchema>;
export type ServiceMonitorSpec = Static<typeof ServiceMonitorSpecSchema>;
export type LoggingSpec = Static<typeof LoggingSpecSchema>;
export type AdapterDiscoverySpec = Static<typeof AdapterDiscoverySpecSchema>;
export type NetworkPolicySpec = Static<typeof NetworkPolicySpecSchema>;
export type ApiPeer = Static<typeof ApiPeerSchema>;
export type SnapshotPolicySpec = Static<typeof SnapshotPolicySpecSchema>;
export type AdapterStatusEntry = Static<typeof AdapterStatusSchema>;
export type SnapshotPolicyStatus = Static<typeof SnapshotPolicyStatusSchema>;
export type StoresSpec = Static<typeof StoresSpecSchema>;
export type StoreStatus = Static<typeof StoreStatusSchema>;

export type ResourceRequirements = Static<typeof ResourceRequirementsSchema>;
export type SecurityContext = Static<typeof SecurityContextSchema>;
export type PodSecurityContext = Static<typeof PodSecurityContextSchema>;
export type Toleration = Static<typeof TolerationSchema>;
export type Affinity = Static<typeof AffinitySchema>;
export type LabelSelector = Static<typeof LabelSelectorSchema>;

/** `{name, key}` reference to one Secret key, as used by jwt, admin, ldap, kerberos and metrics. */
export type SecretKeyRef = NonNullable<JwtSpec["secretRef"]>;

export { DEFAULTS, SERVER_PORTS } from "./defaults.ts";
