/**
 * Condition types and reasons of the DittoServer status, as constants so code, tests and docs/conditions.md
 * share one vocabulary. Reasons are CamelCase (metav1.Condition requires it).
 */

export const COND = {
  Ready: "Ready",
  Available: "Available",
  Progressing: "Progressing",
  Degraded: "Degraded",
  ConfigReady: "ConfigReady",
  DatabaseReady: "DatabaseReady",
  Authenticated: "Authenticated",
  SnapshotPoliciesReady: "SnapshotPoliciesReady",
  StoresReady: "StoresReady",
} as const;

export const REASON = {
  // Ready
  ServerReady: "ServerReady",
  ConfigNotReady: "ConfigNotReady",
  DatabaseNotReady: "DatabaseNotReady",
  NotAvailable: "NotAvailable",
  RolloutInProgress: "RolloutInProgress",
  Degraded: "Degraded",
  Deleting: "Deleting",
  // Ready: the API says the server does not serve (adapters.ts `serving`)
  ControlPlaneDatabaseUnreachable: "ControlPlaneDatabaseUnreachable",
  NoAdapterEnabled: "NoAdapterEnabled",
  AdapterNotRunning: "AdapterNotRunning",
  AdapterUnhealthy: "AdapterUnhealthy",
  // ConfigReady
  ConfigApplied: "ConfigApplied",
  InvalidSpec: "InvalidSpec",
  SecretNotFound: "SecretNotFound",
  StorageClassNotFound: "StorageClassNotFound",
  StorageChangeRefused: "StorageChangeRefused",
  ApplyFailed: "ApplyFailed",
  // DatabaseReady
  PerconaReady: "PerconaReady",
  PerconaNotFound: "PerconaNotFound",
  PerconaNotReady: "PerconaNotReady",
  PerconaCRDMissing: "PerconaCRDMissing",
  DatabaseSecretNotFound: "DatabaseSecretNotFound",
  // Available
  MinimumReplicasAvailable: "MinimumReplicasAvailable",
  ScaledToZero: "ScaledToZero",
  NoReplicasAvailable: "NoReplicasAvailable",
  StatefulSetNotFound: "StatefulSetNotFound",
  PodFailing: "PodFailing",
  // Progressing
  Creating: "Creating",
  ReplacingStatefulSet: "ReplacingStatefulSet",
  WaitingForDatabase: "WaitingForDatabase",
  RollingUpdate: "RollingUpdate",
  Scaling: "Scaling",
  ExpandingVolumes: "ExpandingVolumes",
  WaitingForPodReady: "WaitingForPodReady",
  RolloutComplete: "RolloutComplete",
  Blocked: "Blocked",
  // Progressing during deletion
  PodsTerminating: "PodsTerminating",
  PodsTerminatingSlowly: "PodsTerminatingSlowly",
  CleanupTimeout: "CleanupTimeout",
  PodsTerminated: "PodsTerminated",
  // Authenticated (the reference's reasons)
  AuthenticationSucceeded: "AuthenticationSucceeded",
  APIUnreachable: "APIUnreachable",
  AuthenticationFailed: "AuthenticationFailed",
  // Degraded
  AsExpected: "AsExpected",
  ReconcileError: "ReconcileError",
  // SnapshotPoliciesReady (snapshot-policies.ts `snapshotPolicyCondition`)
  SnapshotPoliciesApplied: "SnapshotPoliciesApplied",
  ShareNotFound: "ShareNotFound",
  SnapshotPolicyRejected: "SnapshotPolicyRejected",
  SnapshotPolicyPending: "SnapshotPolicyPending",
  // StoresReady (stores.ts `storesCondition`)
  StoresCreated: "StoresCreated",
  StoreConflict: "StoreConflict",
  StoreRejected: "StoreRejected",
  StoreUnhealthy: "StoreUnhealthy",
  StorePending: "StorePending",
} as const;
