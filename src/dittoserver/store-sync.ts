/**
 * The shell step that makes a server's stores match `spec.stores`: two lists (metadata, local block), the shares
 * only when a store the operator created left the spec, then the POSTs, PUTs and DELETEs `planStores` decides,
 * their answers turned into the next `status.stores` (`nextStoreRecord`). In sync, it costs two GETs and no write.
 *
 * Failures: a store the server refuses (400, or 409 on a name taken meanwhile) is an outcome of that store, recorded
 * and tried again at the next poll; any other failure stops the step and is returned for the caller's API back-off,
 * with the record reflecting only the calls that were answered.
 */
import type { StoreStatus } from "../api/types.ts";
import type { DittoFsClient } from "../dittofs/client.ts";
import { isDittoFsError } from "../dittofs/errors.ts";
import type { ShareStores } from "../dittofs/wire.ts";
import { isOperatorsStore, nextStoreRecord, planStores, storeBody, storesInUse } from "./stores.ts";
import type { DesiredStore, ObservedStores, StoreOutcome } from "./stores.ts";

export type StoreApi = Pick<DittoFsClient, "listStores" | "createStore" | "updateStore" | "deleteStore" | "listShareStores">;

export interface StoreSyncInput {
  /** An admin-role access token (store management is admin-only). */
  token: string;
  desired: readonly DesiredStore[];
  /** The current `status.stores`: which stores the operator created (and so may change or remove). */
  record: readonly StoreStatus[];
  signal?: AbortSignal | undefined;
}

export interface StoreSyncResult {
  /** The next `status.stores`. */
  record: StoreStatus[];
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

export async function syncStores(client: StoreApi, input: StoreSyncInput): Promise<StoreSyncResult> {
  const { token, signal } = input;
  let observed: ObservedStores;
  let shares: ShareStores[] = [];
  try {
    observed = { metadata: await client.listStores(token, "metadata", { signal }), block: await client.listStores(token, "block", { signal }) };
    if (removalPossible(input, observed)) shares = await client.listShareStores(token, { signal });
  } catch (err) {
    return { record: [...input.record], answered: [], error: asError(err) };
  }
  const plan = planStores(input.desired, observed, input.record, storesInUse(observed, shares));
  const answered: StoreOutcome[] = [];
  let error: Error | undefined;
  const writes: { store: DesiredStore; op: "create" | "update" }[] = [...plan.create.map((store) => ({ store, op: "create" as const })), ...plan.update.map((store) => ({ store, op: "update" as const }))];
  for (const { store, op } of writes) {
    try {
      if (op === "create") await client.createStore(token, store.kind, storeBody(store), { signal });
      else await client.updateStore(token, store.kind, storeBody(store), { signal });
      answered.push({ kind: store.kind, name: store.name, op, result: "ok" });
    } catch (err) {
      if (!isDittoFsError(err, "rejected", "conflict")) {
        error = asError(err);
        break;
      }
      answered.push({ kind: store.kind, name: store.name, op, result: "rejected", message: err.message });
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
    answered.push({ kind, name, op: "remove", result: "ok" });
  }
  return { record: nextStoreRecord(plan, answered), answered, ...(error ? { error } : {}) };
}
