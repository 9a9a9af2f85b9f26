/**
 * Updates the API server must reject (CEL transition rules): `before` is created, then `after` is sent as an
 * update. Both are merged over a valid minimal spec like the create cases (`null` deletes a key).
 */

export interface UpdateCase {
  name: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  field: string;
  message: string;
}

const storage = (s: Record<string, unknown>) => ({ storage: { metadataSize: "1Gi", ...s } });
const percona = (p: Record<string, unknown>) => ({ percona: { enabled: true, ...p } });

export const UPDATE_CASES: UpdateCase[] = [
  { name: "storageClassName changed", before: storage({ storageClassName: "a" }), after: storage({ storageClassName: "b" }), field: "spec.storage.storageClassName", message: "immutable" },
  { name: "storageClassName added", before: storage({}), after: storage({ storageClassName: "b" }), field: "spec.storage.storageClassName", message: "immutable" },
  { name: "storageClassName removed", before: storage({ storageClassName: "a" }), after: storage({ storageClassName: null }), field: "spec.storage.storageClassName", message: "immutable" },
  { name: "metadataSize shrunk", before: storage({ metadataSize: "2Gi" }), after: storage({ metadataSize: "1Gi" }), field: "spec.storage.metadataSize", message: "metadataSize cannot shrink" },
  { name: "metadataSize shrunk across units", before: storage({ metadataSize: "1Gi" }), after: storage({ metadataSize: "1000Mi" }), field: "spec.storage.metadataSize", message: "cannot shrink" },
  { name: "controlPlaneSize shrunk", before: storage({ controlPlaneSize: "2Gi" }), after: storage({ controlPlaneSize: "1Gi" }), field: "spec.storage.controlPlaneSize", message: "controlPlaneSize cannot shrink" },
  { name: "contentSize shrunk", before: storage({ contentSize: "10Gi" }), after: storage({ contentSize: "5Gi" }), field: "spec.storage.contentSize", message: "contentSize cannot shrink" },
  { name: "contentSize added", before: storage({}), after: storage({ contentSize: "10Gi" }), field: "spec.storage.contentSize", message: "cannot be added or removed" },
  { name: "contentSize removed", before: storage({ contentSize: "10Gi" }), after: storage({ contentSize: null }), field: "spec.storage.contentSize", message: "cannot be added or removed" },
  { name: "percona storageClassName changed", before: percona({ storageClassName: "a" }), after: percona({ storageClassName: "b" }), field: "spec.percona.storageClassName", message: "immutable" },
  { name: "percona storageClassName added", before: percona({}), after: percona({ storageClassName: "b" }), field: "spec.percona.storageClassName", message: "immutable" },
  { name: "percona storageSize shrunk", before: percona({ storageSize: "20Gi" }), after: percona({ storageSize: "10Gi" }), field: "spec.percona.storageSize", message: "cannot shrink" },
  { name: "sqlite to Percona", before: {}, after: percona({}), field: "spec.percona.enabled", message: "percona.enabled cannot be turned on or off after creation" },
  { name: "Percona to sqlite", before: percona({}), after: percona({ enabled: false }), field: "spec.percona.enabled", message: "existing users, shares and adapters would be left behind" },
  { name: "Percona block removed", before: percona({}), after: { percona: null }, field: "spec.percona.enabled", message: "cannot be turned on or off" },
  { name: "sqlite to external PostgreSQL", before: {}, after: { database: { postgresSecretRef: { name: "pg" } } }, field: "spec.database.postgresSecretRef", message: "switches between SQLite and PostgreSQL" },
  { name: "external PostgreSQL to sqlite", before: { database: { type: "postgres", postgresSecretRef: { name: "pg" } } }, after: { database: { type: "sqlite" } }, field: "spec.database.postgresSecretRef", message: "cannot be added or removed after creation" },
  { name: "external PostgreSQL to Percona", before: { database: { postgresSecretRef: { name: "pg" } } }, after: percona({}), field: "spec.percona.enabled", message: "cannot be turned on or off" },
];

/** Updates that must be accepted: growth, equal quantities in other units, unrelated edits. */
export const ACCEPTED_UPDATES: Omit<UpdateCase, "field" | "message">[] = [
  { name: "metadataSize grown", before: storage({ metadataSize: "1Gi" }), after: storage({ metadataSize: "2Gi" }) },
  { name: "metadataSize same quantity in Mi", before: storage({ metadataSize: "1Gi" }), after: storage({ metadataSize: "1024Mi" }) },
  { name: "contentSize and controlPlaneSize grown", before: storage({ contentSize: "10Gi", controlPlaneSize: "1Gi" }), after: storage({ contentSize: "1Ti", controlPlaneSize: "5Gi" }) },
  { name: "percona storageSize grown", before: percona({ storageSize: "10Gi" }), after: percona({ storageSize: "50Gi" }) },
  { name: "log file moved within the control-plane volume", before: { logging: { output: "stdout" } }, after: { logging: { output: "/data/controlplane/log/dittofs.log" } } },
  { name: "external PostgreSQL Secret renamed", before: { database: { postgresSecretRef: { name: "pg" } } }, after: { database: { type: "postgres", postgresSecretRef: { name: "pg-rotated" } } } },
  { name: "Percona with database.type spelled out", before: percona({}), after: { ...percona({}), database: { type: "postgres" } } },
  { name: "replicas to 0 with storage class kept", before: { ...storage({ storageClassName: "a" }), replicas: 1 }, after: { ...storage({ storageClassName: "a" }), replicas: 0 } },
];
