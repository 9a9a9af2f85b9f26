/** `status` of a DittoServer, written only by the operator. */
import { Type } from "@sinclair/typebox";
import { DittoFsApiStatusFields } from "./dittofs-api.ts";
import { StoresStatusFields } from "./stores.ts";
import { StringEnum } from "./helpers.ts";

const Count = (description: string) => Type.Optional(Type.Integer({ description, format: "int32", minimum: 0 }));

/** metav1.Condition with the upstream validation patterns. */
export const ConditionSchema = Type.Object(
  {
    type: Type.String({
      description: "Condition type in CamelCase, e.g. Ready.",
      maxLength: 316,
      pattern: "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
    }),
    status: StringEnum(["True", "False", "Unknown"], { description: "Status of the condition." }),
    observedGeneration: Type.Optional(
      Type.Integer({ description: "metadata.generation the condition was computed from.", format: "int64", minimum: 0 }),
    ),
    lastTransitionTime: Type.String({ description: "Last time the status changed.", format: "date-time" }),
    reason: Type.String({
      description: "Machine-readable CamelCase reason of the last transition.",
      minLength: 1,
      maxLength: 1024,
      pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
    }),
    message: Type.String({ description: "Human-readable details.", maxLength: 32768 }),
  },
  { description: "Observation of one aspect of the DittoServer (metav1.Condition)." },
);

export const DITTO_SERVER_PHASES = ["Pending", "Running", "Failed", "Stopped", "Deleting"] as const;

export const DittoServerStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer({ description: "metadata.generation this status reflects.", format: "int64", minimum: 0 })),
    replicas: Count("Desired replicas."),
    readyReplicas: Count("Ready pods of the StatefulSet."),
    availableReplicas: Count("Available pods of the StatefulSet."),
    ready: Type.Optional(Type.String({ description: "Ready/desired replicas, e.g. 1/1.", maxLength: 32 })),
    phase: Type.Optional(StringEnum(DITTO_SERVER_PHASES, { description: "Summary of the lifecycle." })),
    configHash: Type.Optional(Type.String({ description: "Hash of the rendered config and consumed Secret data the pod runs with.", maxLength: 128 })),
    perconaClusterName: Type.Optional(Type.String({ description: "Name of the PerconaPGCluster when percona is enabled.", maxLength: 253 })),
    nfsEndpoint: Type.Optional(Type.String({ description: "Address clients mount NFS from (host:port).", maxLength: 512 })),
    ...DittoFsApiStatusFields,
    ...StoresStatusFields,
    conditions: Type.Optional(
      Type.Array(ConditionSchema, {
        description: "Current conditions (Ready, Available, Progressing, Degraded, ConfigReady, DatabaseReady).",
        maxItems: 32,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
      }),
    ),
  },
  { description: "Observed state of the DittoServer, written by the operator." },
);
