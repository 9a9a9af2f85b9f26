/**
 * The push steps of the API pass: each makes one part of the server match the spec through its API (stores,
 * snapshot policies) and keeps, per DittoServer in memory, its last record (the `status` list it reports), what
 * it remembers between passes (refusals and their back-off, credentials pushed) and the trigger it ran for. One
 * runner drives them all:
 *
 * - a step runs at every poll, and at once (without waiting for the poll) when its trigger changes: the spec
 *   entries it pushes, or a Secret it reads (never inside the API back-off);
 * - nothing specified and nothing recorded: no call at all;
 * - its failure (other than a refusal of one object, which the step records and backs off itself) is the poll's:
 *   thrown, same classification, same back-off.
 *
 * A new step is a declaration here plus its entry in `PUSH_STEPS`.
 */
import { createHash } from "node:crypto";
import type { DittoServer, SnapshotPolicyStatus, StoreStatus } from "../api/types.ts";
import type { SecretLookup } from "./store-secrets.ts";
import { syncSnapshotPolicies } from "./snapshot-policy-sync.ts";
import type { SnapshotPolicyApi } from "./snapshot-policy-sync.ts";
import type { PolicyRetries } from "./snapshot-policies.ts";
import { syncStores } from "./store-sync.ts";
import type { StoreApi, StoreMemory } from "./store-sync.ts";
import { desiredStores, isOperatorsStore } from "./stores.ts";

export interface StepInput {
  token: string;
  server: DittoServer;
  /** The namespace's Secrets, decoded. */
  secret: SecretLookup;
  now: number;
  signal?: AbortSignal | undefined;
}

/** What a step keeps between passes. */
export interface StepState<Memory, Entry> {
  trigger: string;
  record: Entry[];
  memory: Memory | undefined;
}

export interface PushStep<Api, Memory, Entry> {
  /** The inputs whose change runs the step at once; a hash where they carry a secret. */
  trigger(server: DittoServer, secret: SecretLookup): string;
  /** The record a fresh operator starts from: the status the last one wrote. */
  statusRecord(server: DittoServer): Entry[] | undefined;
  /** Nothing to do and nothing to call: nothing specified and nothing of the operator's recorded. */
  idle(server: DittoServer, record: readonly Entry[]): boolean;
  sync(api: Api, input: StepInput, record: readonly Entry[], memory: Memory | undefined): Promise<{ record: Entry[]; memory: Memory; error?: Error }>;
}

/** Whether the step's trigger moved since it last ran; false before the first poll (the poll runs it). */
export function stepTriggered<A, M, E>(step: PushStep<A, M, E>, state: StepState<M, E> | undefined, server: DittoServer, secret: SecretLookup): boolean {
  return state !== undefined && state.trigger !== step.trigger(server, secret);
}

/** Runs a step with the poll's token: its next state, and the failure that stopped it (the caller throws it). */
export async function runStep<A, M, E>(step: PushStep<A, M, E>, api: A, state: StepState<M, E> | undefined, input: StepInput): Promise<{ state: StepState<M, E>; error?: Error }> {
  const trigger = step.trigger(input.server, input.secret);
  const record = state?.record ?? step.statusRecord(input.server) ?? [];
  if (step.idle(input.server, record)) return { state: { trigger, record: [], memory: undefined } };
  const result = await step.sync(api, input, record, state?.memory);
  return { state: { trigger, record: result.record, memory: result.memory }, ...(result.error ? { error: result.error } : {}) };
}

const digest = (text: string): string => createHash("sha256").update(text).digest("hex");

export const STORE_STEP: PushStep<StoreApi, StoreMemory, StoreStatus> = {
  // The desired stores carry the S3 credentials: hashed.
  trigger: (server, secret) => digest(JSON.stringify(desiredStores(server, secret))),
  statusRecord: (server) => server.status?.stores,
  idle: (server, record) => (server.spec.stores?.metadata ?? []).length + (server.spec.stores?.block ?? []).length === 0 && !record.some(isOperatorsStore),
  sync: (api, input, record, memory) => syncStores(api, { token: input.token, desired: desiredStores(input.server, input.secret), record, memory, now: input.now, signal: input.signal }),
};

export const POLICY_STEP: PushStep<SnapshotPolicyApi, PolicyRetries, SnapshotPolicyStatus> = {
  trigger: (server) => JSON.stringify(server.spec.snapshotPolicies ?? []),
  statusRecord: (server) => server.status?.snapshotPolicies,
  idle: (server, record) => (server.spec.snapshotPolicies ?? []).length === 0 && record.length === 0,
  sync: async (api, input, record, memory) => {
    const result = await syncSnapshotPolicies(api, { token: input.token, desired: input.server.spec.snapshotPolicies ?? [], record, retries: memory, now: input.now, signal: input.signal });
    return { record: result.record, memory: result.retries, ...(result.error ? { error: result.error } : {}) };
  },
};
