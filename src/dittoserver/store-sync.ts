/**
 * The shell step that makes a server's stores match `spec.stores`: three lists (metadata, local block, remote
 * block), the shares only when a store the operator created left the spec, then the POSTs, PUTs and DELETEs
 * `planStores` decides, their answers turned into the next `status.stores` (`nextStoreRecord`). In sync, it costs
 * three GETs and no write.
 *
 * Failures: a store the server refuses (400, or 409 on a name taken meanwhile) is an outcome of that store, recorded
 * and tried again after a back-off (./refusals.ts: 30 s doubling to 10 min), at once when its body (spec or
 * credentials) changes; any other failure stops the step and is returned for the caller's API back-off, with the
 * record reflecting only the calls that were answered.
 */
import { createHash } from "node:crypto";
import type { StoreStatus } from "../api/types.ts";
import type { DittoFsClient } from "../dittofs/client.ts";
import { isDittoFsError } from "../dittofs/errors.ts";
import type { ShareStores } from "../dittofs/wire.ts";
import { nextRefusal, pendingRefusal } from "./refusals.ts";
import type { Refusal, Refusals } from "./refusals.ts";
import { isOperatorsStore, nextStoreRecord, planStores, STORE_KINDS, storeBody, storesInUse } from "./stores.ts";
import type { DesiredStore, ObservedStores, StoreOutcome } from "./stores.ts";

export type StoreApi = Pick<DittoFsClient, "listStores" | "createStore" | "updateStore" | "deleteStore" | "listShareStores">;

/** What the step keeps between passes (in memory, per DittoServer). */
export interface StoreMemory {
  /** Fingerprints of the credentials last pushed, by `kind/name`. */
  pushed: Readonly<Record<string, string>>;
  /** Stores the server refused, by `kind/name`. */
  refusals: Refusals<"rejected">;
}

export const NO_STORE_MEMORY: StoreMemory = { pushed: {}, refusals: {} };

export interface StoreSyncInput {
  /** An admin-role access token (store management is admin-only). */
  token: string;
  desired: readonly DesiredStore[];
  /** The current `status.stores`: which stores the operator created (and so may change or remove). */
  record: readonly StoreStatus[];
  memory?: StoreMemory | undefined;
  now: number;
  signal?: AbortSignal | undefined;
}

export interface StoreSyncResult {
  /** The next `status.stores`. */
  record: StoreStatus[];
  memory: StoreMemory;
  /** The writes made, as the server answered them (none when in sync). */
  answered: StoreOutcome[];
  /** The failure that stopped the step (a `DittoFsError` from the client); the caller backs off. */
  error?: Error;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Whether a store left the spec that the operator created and the server still has: only then are shares read. */
function removalPossible(input: StoreSyncInput, observed: ObservedStores): boolean {
  return input.record.some(
    (e) => isOperatorsStore(e) && !input.desired.some((d) => d.kind === e.kind && d.name === e.name) && observed[e.kind].some((s) => s.name === e.name),
  );
}

/** What a refusal remembers of a store's body: a hash, since an S3 store's body carries its secret access key. */
function bodyDigest(store: DesiredStore): string {
  return createHash("sha256").update(JSON.stringify(storeBody(store))).digest("hex");
}

export async function syncStores(client: StoreApi, input: StoreSyncInput): Promise<StoreSyncResult> {
  const { token, signal, now } = input;
  const memory = input.memory ?? NO_STORE_MEMORY;
  let observed: ObservedStores;
  let shares: ShareStores[] = [];
  try {
    const lists = [];
    for (const kind of STORE_KINDS) lists.push(await client.listStores(token, kind, { signal }));
    observed = { metadata: lists[0] ?? [], block: lists[1] ?? [], remote: lists[2] ?? [] };
    if (removalPossible(input, observed)) shares = await client.listShareStores(token, { signal });
  } catch (err) {
    return { record: [...input.record], memory, answered: [], error: asError(err) };
  }
  const plan = planStores(input.desired, observed, input.record, storesInUse(observed, shares), memory.pushed);
  const outcomes: StoreOutcome[] = [];
  const answered: StoreOutcome[] = [];
  const pushed: Record<string, string> = { ...memory.pushed };
  const refusals: Record<string, Refusal<"rejected">> = {};
  let error: Error | undefined;
  const writes = [...plan.create.map((store) => ({ store, op: "create" as const })), ...plan.update.map((store) => ({ store, op: "update" as const }))];
  for (const { store, op } of writes) {
    const storeKey = `${store.kind}/${store.name}`;
    const digest = bodyDigest(store);
    const pending = pendingRefusal(memory.refusals, storeKey, digest, now);
    if (pending) {
      // Not due yet: the last answer stands, so the record does not change.
      refusals[storeKey] = pending;
      outcomes.push({ kind: store.kind, name: store.name, op, result: "rejected", message: pending.message });
      continue;
    }
    // Masked in any error message the client builds from the server's answer.
    const secrets = Object.values(store.secret?.config ?? {});
    try {
      const answer = op === "create" ? await client.createStore(token, store.kind, storeBody(store), { signal, secrets }) : await client.updateStore(token, store.kind, storeBody(store), { signal, secrets });
      const outcome: StoreOutcome = { kind: store.kind, name: store.name, op, result: "ok", health: answer.health };
      outcomes.push(outcome);
      answered.push(outcome);
      if (store.secret) pushed[storeKey] = store.secret.fingerprint;
    } catch (err) {
      if (!isDittoFsError(err, "rejected", "conflict")) {
        error = asError(err);
        break;
      }
      refusals[storeKey] = nextRefusal(memory.refusals[storeKey], { result: "rejected", message: err.message }, digest, now, "doubling");
      const outcome: StoreOutcome = { kind: store.kind, name: store.name, op, result: "rejected", message: err.message };
      outcomes.push(outcome);
      answered.push(outcome);
    }
  }
  for (const { kind, name } of error ? [] : plan.remove) {
    try {
      await client.deleteStore(token, kind, name, { signal });
    } catch (err) {
      // Gone meanwhile (removed with dfsctl): what the DELETE was for. A refusal keeps the record entry: tried again.
      if (isDittoFsError(err, "rejected", "conflict")) continue;
      if (!isDittoFsError(err, "notFound")) {
        error = asError(err);
        break;
      }
    }
    const outcome: StoreOutcome = { kind, name, op: "remove", result: "ok" };
    outcomes.push(outcome);
    answered.push(outcome);
  }
  // Stores a failure kept from their call keep their back-off.
  for (const { store } of writes) {
    const storeKey = `${store.kind}/${store.name}`;
    const refusal = memory.refusals[storeKey];
    if (refusal && !outcomes.some((o) => o.kind === store.kind && o.name === store.name)) refusals[storeKey] = refusal;
  }
  // Only stores still specified keep their fingerprint: one that comes back is pushed again.
  const specified = new Set(input.desired.map((d) => `${d.kind}/${d.name}`));
  const stillPushed = Object.fromEntries(Object.entries(pushed).filter(([k]) => specified.has(k)));
  return { record: nextStoreRecord(plan, outcomes), memory: { pushed: stillPushed, refusals }, answered, ...(error ? { error } : {}) };
}
