/**
 * `spec.stores` against what the server holds: which stores to create, correct or remove, and the record of them
 * (`status.stores`).
 *
 * Paths are derived, not specified: a badger store lives at `<metadata volume>/stores/<name>`, a local block store at
 * `<content volume>/stores/<name>`, so a spec can never point a store outside the server's persistent volumes.
 *
 * Ownership: the operator changes or removes only a store it created, recorded as `Created` in `status.stores`.
 * A store of a specified name that already exists exactly as the operator would create it (same type and path) is
 * taken as its own: that is the state a create leaves when the status write after it was lost. One that differs is a
 * `Conflict` and is left alone, as is every other store made with dfsctl (`Unmanaged`). A store that left the spec is
 * removed only while no share uses it (`InUse` until then): removing it would strand the share's data.
 */
import type { DittoServer, StoreStatus } from "../api/types.ts";
import type { ShareStores, Store, StoreBody } from "../dittofs/wire.ts";
import { REASON } from "./reasons.ts";
import { volumeLayout } from "./volume-layout.ts";

export type StoreKind = StoreStatus["kind"];

/** A store as the operator creates it. */
export interface DesiredStore {
  kind: StoreKind;
  name: string;
  /** The server's type: badger, memory, fs. */
  type: string;
  config: Record<string, string>;
}

/** The stores the server reports, by kind. */
export type ObservedStores = Readonly<Record<StoreKind, readonly Store[]>>;

const STORES_DIR = "stores";

/** The stores `spec.stores` asks for, with their server types and paths. */
export function desiredStores(server: Pick<DittoServer, "metadata" | "spec">): DesiredStore[] {
  const layout = volumeLayout(server);
  const metadata = (server.spec.stores?.metadata ?? []).map((s): DesiredStore => {
    const config: Record<string, string> = s.type === "badger" ? { path: `${layout.metadata}/${STORES_DIR}/${s.name}` } : {};
    return { kind: "metadata", name: s.name, type: s.type, config };
  });
  const block = (server.spec.stores?.block ?? []).map((s): DesiredStore => {
    // The server calls a local filesystem block store `fs`.
    if (s.type === "local") return { kind: "block", name: s.name, type: "fs", config: { path: `${layout.content}/${STORES_DIR}/${s.name}` } };
    return { kind: "block", name: s.name, type: "memory", config: {} };
  });
  return [...metadata, ...block];
}

/** The body that creates (or, without its name, corrects) `store`. */
export function storeBody(store: DesiredStore): StoreBody {
  return { name: store.name, type: store.type, config: JSON.stringify(store.config) };
}

/** Whether the server's store is what the operator would create: same type, and each specified setting. */
export function storeMatches(desired: DesiredStore, observed: Store): boolean {
  return desired.type === observed.type && Object.entries(desired.config).every(([k, v]) => observed.config[k] === v);
}

const key = (kind: StoreKind, name: string): string => `${kind}/${name}`;

/** Record states of the stores the operator created or tried to (Pending and Rejected were absent when it tried). */
const OURS: ReadonlySet<StoreStatus["state"]> = new Set(["Created", "InUse", "Pending", "Rejected"]);

/** Whether a record entry is a store the operator created (or tried to): one it may change or remove. */
export function isOperatorsStore(entry: StoreStatus): boolean {
  return OURS.has(entry.state);
}

/** `kind/name` of the stores some share uses (shares name their stores by id). */
export function storesInUse(observed: ObservedStores, shares: readonly ShareStores[]): Set<string> {
  const used = new Set<string>();
  for (const s of observed.metadata) if (shares.some((sh) => sh.metadataStoreId === s.id)) used.add(key("metadata", s.name));
  for (const s of observed.block) if (shares.some((sh) => sh.localBlockStoreId === s.id)) used.add(key("block", s.name));
  return used;
}

export interface StorePlan {
  create: DesiredStore[];
  /** Stores the operator created that drifted (changed with dfsctl): corrected with a PUT. */
  update: DesiredStore[];
  /** Stores the operator created that left the spec, are on the server and no share uses. */
  remove: { kind: StoreKind; name: string; type: string }[];
  /** Entries of the next record that need no call: in sync, conflicts, in use, unmanaged. */
  settled: StoreStatus[];
}

/**
 * The calls that make the server match the spec. `record` is the current `status.stores`; `inUse` holds
 * `kind/name` of the stores some share uses.
 */
export function planStores(desired: readonly DesiredStore[], observed: ObservedStores, record: readonly StoreStatus[], inUse: ReadonlySet<string>): StorePlan {
  const onServer = new Map<string, Store>();
  for (const kind of ["metadata", "block"] as const) for (const s of observed[kind]) onServer.set(key(kind, s.name), s);
  const ours = new Set(record.filter(isOperatorsStore).map((e) => key(e.kind, e.name)));
  const wanted = new Set(desired.map((d) => key(d.kind, d.name)));
  const plan: StorePlan = { create: [], update: [], remove: [], settled: [] };
  for (const d of desired) {
    const current = onServer.get(key(d.kind, d.name));
    if (!current) plan.create.push(d);
    else if (storeMatches(d, current)) plan.settled.push({ kind: d.kind, name: d.name, type: current.type, state: "Created" });
    else if (ours.has(key(d.kind, d.name))) plan.update.push(d);
    else {
      const message = `a ${current.type} store of this name exists that the operator did not create; it is left alone (remove it with dfsctl, or rename the store in the spec)`;
      plan.settled.push({ kind: d.kind, name: d.name, type: current.type, state: "Conflict", message });
    }
  }
  for (const [k, s] of onServer) {
    if (wanted.has(k)) continue;
    const kind = k.slice(0, k.indexOf("/")) as StoreKind;
    if (!ours.has(k)) plan.settled.push({ kind, name: s.name, type: s.type, state: "Unmanaged" });
    else if (inUse.has(k)) plan.settled.push({ kind, name: s.name, type: s.type, state: "InUse", message: "left the spec but a share uses it, so it stays on the server" });
    else plan.remove.push({ kind, name: s.name, type: s.type });
  }
  return plan;
}

/** How one call of the plan ended. */
export type StoreOutcome =
  | { kind: StoreKind; name: string; op: "create" | "update" | "remove"; result: "ok" }
  /** 400 or 409: the server refused the store; not retried until the spec changes or the next poll. */
  | { kind: StoreKind; name: string; op: "create" | "update"; result: "rejected"; message: string };

/**
 * The next `status.stores`: the settled entries, the created and corrected stores, and the ones whose call was not
 * answered (Pending; a removal not made keeps its Created entry, so it is tried again). A refused store is tried
 * again at the next poll. Sorted, so an unchanged
 * record compares equal.
 */
export function nextStoreRecord(plan: StorePlan, outcomes: readonly StoreOutcome[]): StoreStatus[] {
  const entries: StoreStatus[] = [...plan.settled];
  const outcomeOf = (kind: StoreKind, name: string) => outcomes.find((o) => o.kind === kind && o.name === name);
  for (const d of [...plan.create, ...plan.update]) {
    const o = outcomeOf(d.kind, d.name);
    if (o?.result === "ok") entries.push({ kind: d.kind, name: d.name, type: d.type, state: "Created" });
    else if (o?.result === "rejected") entries.push({ kind: d.kind, name: d.name, type: d.type, state: "Rejected", message: o.message });
    else entries.push({ kind: d.kind, name: d.name, type: d.type, state: "Pending", message: plan.update.includes(d) ? "changed on the server; not corrected yet" : "not created yet" });
  }
  for (const r of plan.remove) {
    if (outcomeOf(r.kind, r.name)?.result !== "ok") entries.push({ kind: r.kind, name: r.name, type: r.type, state: "Created", message: "left the spec; not removed yet" });
  }
  return entries.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

/** A condition's decision: `ok` is its status. */
export interface StoreCondition {
  ok: boolean;
  reason: typeof REASON.StoresCreated | typeof REASON.StoreConflict | typeof REASON.StoreRejected | typeof REASON.StorePending;
  message: string;
}

const names = (entries: readonly StoreStatus[]): string => entries.map((e) => `${e.kind} store ${e.name}`).join(", ");

/**
 * `StoresReady` from the spec and the record: absent when no store is specified and none the operator created is
 * recorded; True when every specified store is on the server as specified.
 */
export function storesCondition(desired: readonly DesiredStore[], record: readonly StoreStatus[]): StoreCondition | undefined {
  const entry = (d: DesiredStore) => record.find((e) => e.kind === d.kind && e.name === d.name);
  if (desired.length === 0 && !record.some(isOperatorsStore)) return undefined;
  const of = (state: StoreStatus["state"]) => desired.map(entry).filter((e): e is StoreStatus => e?.state === state);
  const conflicts = of("Conflict");
  if (conflicts.length > 0) return { ok: false, reason: REASON.StoreConflict, message: `${names(conflicts)}: a store of that name exists that the operator did not create` };
  const rejected = of("Rejected");
  if (rejected.length > 0) return { ok: false, reason: REASON.StoreRejected, message: rejected.map((e) => `${e.kind} store ${e.name} rejected: ${e.message ?? ""}`).join("; ") };
  const waiting = desired.filter((d) => entry(d)?.state !== "Created");
  if (waiting.length > 0) return { ok: false, reason: REASON.StorePending, message: `${waiting.map((d) => `${d.kind} store ${d.name}`).join(", ")} not created or corrected yet` };
  const leaving = record.filter((e) => e.state === "Created" && !desired.some((d) => d.kind === e.kind && d.name === e.name));
  if (leaving.length > 0) return { ok: false, reason: REASON.StorePending, message: `${names(leaving)} left the spec and is not removed from the server yet` };
  return { ok: true, reason: REASON.StoresCreated, message: desired.length > 0 ? `${desired.map((d) => `${d.kind} store ${d.name}`).join(", ")} on the server as specified` : "no store specified" };
}
