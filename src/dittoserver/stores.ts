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
 *
 * An S3 store (the server's remote kind) and a PostgreSQL metadata store carry settings from a Secret
 * (./store-secrets.ts): the masked ones (secret access key, password) are never compared; they are pushed again
 * when their fingerprint differs from the one last pushed (`pushed`, in memory: after an operator restart each such
 * store gets one PUT). A store the server's probe reports unhealthy (wrong credentials, unreachable bucket or
 * database) is `Unhealthy`.
 */
import type { DittoServer, StoreStatus } from "../api/types.ts";
import type { ShareStores, Store, StoreBody } from "../dittofs/wire.ts";
import { REASON } from "./reasons.ts";
import { postgresSettings, s3Settings } from "./store-secrets.ts";
import type { SecretLookup, SecretSettings, StoreSetting } from "./store-secrets.ts";
import { volumeLayout } from "./volume-layout.ts";

export type StoreKind = StoreStatus["kind"];

/** A store as the operator creates it. */
export interface DesiredStore {
  kind: StoreKind;
  name: string;
  /** The server's type: badger, memory, fs, s3. */
  type: string;
  /** Settings the server reports back as given: compared with what it reports. */
  config: Record<string, StoreSetting>;
  /** Settings it masks on reads (the secret access key): pushed, never compared; `fingerprint` tells a change. */
  secret?: { config: Record<string, string>; fingerprint: string } | undefined;
  /** Why no call can be made for it yet (its credentials Secret or a key of it is missing). */
  blocked?: string | undefined;
}

/** The stores the server reports, by kind. */
export type ObservedStores = Readonly<Record<StoreKind, readonly Store[]>>;

const STORES_DIR = "stores";

/**
 * The stores `spec.stores` asks for, with their server types, paths and credentials. `secret` reads the Secrets
 * of the namespace; without it (where only kinds and names matter) S3 stores come out blocked.
 */
export function desiredStores(server: Pick<DittoServer, "metadata" | "spec">, secret: SecretLookup = () => undefined): DesiredStore[] {
  const layout = volumeLayout(server);
  const metadata = (server.spec.stores?.metadata ?? []).map((s): DesiredStore => {
    if (s.type === "postgres" && s.postgres) return withSecret({ kind: "metadata", name: s.name, type: "postgres" }, postgresSettings(s.postgres, secret));
    const config: Record<string, string> = s.type === "badger" ? { path: `${layout.metadata}/${STORES_DIR}/${s.name}` } : {};
    return { kind: "metadata", name: s.name, type: s.type, config };
  });
  const block = (server.spec.stores?.block ?? []).map((s): DesiredStore => {
    // The server calls a local filesystem block store `fs`.
    if (s.type === "local") return { kind: "block", name: s.name, type: "fs", config: { path: `${layout.content}/${STORES_DIR}/${s.name}` } };
    if (s.type === "s3" && s.s3) return withSecret({ kind: "remote", name: s.name, type: "s3" }, s3Settings(s.s3, secret));
    return { kind: "block", name: s.name, type: "memory", config: {} };
  });
  return [...metadata, ...block];
}

/** A store whose settings come from a Secret; blocked, with no settings, while the Secret cannot give them. */
function withSecret(store: Pick<DesiredStore, "kind" | "name" | "type">, settings: SecretSettings): DesiredStore {
  if (!settings.ok) return { ...store, config: {}, blocked: settings.message };
  return { ...store, config: settings.config, secret: { config: settings.secret, fingerprint: settings.fingerprint } };
}

/** The body that creates (or, without its name, corrects) `store`. */
export function storeBody(store: DesiredStore): StoreBody {
  return { name: store.name, type: store.type, config: JSON.stringify({ ...store.config, ...store.secret?.config }) };
}

/** Whether the server's store is what the operator would create: same type, and each specified setting. */
export function storeMatches(desired: DesiredStore, observed: Store): boolean {
  return desired.type === observed.type && Object.entries(desired.config).every(([k, v]) => observed.config[k] === v);
}

const key = (kind: StoreKind, name: string): string => `${kind}/${name}`;

/** Record states of the stores the operator created or tried to (Pending and Rejected were absent when it tried). */
const OURS: ReadonlySet<StoreStatus["state"]> = new Set(["Created", "Unhealthy", "InUse", "Pending", "Rejected"]);

/** Whether a record entry is a store the operator created (or tried to): one it may change or remove. */
export function isOperatorsStore(entry: StoreStatus): boolean {
  return OURS.has(entry.state);
}

/** The server's probe of a store, as a record entry's state: only a failing probe says anything. */
function healthOf(health: Store["health"]): Pick<StoreStatus, "state" | "message"> {
  if (health?.status !== "unhealthy") return { state: "Created" };
  return { state: "Unhealthy", message: `the server's probe of it fails${health.message ? `: ${health.message}` : ""}` };
}

/** `kind/name` of the stores some share uses (shares name their stores by id). */
export function storesInUse(observed: ObservedStores, shares: readonly ShareStores[]): Set<string> {
  const used = new Set<string>();
  for (const s of observed.metadata) if (shares.some((sh) => sh.metadataStoreId === s.id)) used.add(key("metadata", s.name));
  for (const s of observed.block) if (shares.some((sh) => sh.localBlockStoreId === s.id)) used.add(key("block", s.name));
  for (const s of observed.remote) if (shares.some((sh) => sh.remoteBlockStoreId === s.id)) used.add(key("remote", s.name));
  return used;
}

export interface StorePlan {
  create: DesiredStore[];
  /** Stores the operator created that drifted (changed with dfsctl) or whose credentials changed: a PUT. */
  update: DesiredStore[];
  /** Stores the operator created that left the spec, are on the server and no share uses. */
  remove: { kind: StoreKind; name: string; type: string }[];
  /** Entries of the next record that need no call: in sync, conflicts, in use, unmanaged. */
  settled: StoreStatus[];
}

/** The store kinds, in the order they are listed and recorded. */
export const STORE_KINDS: readonly StoreKind[] = ["metadata", "block", "remote"];

/**
 * The calls that make the server match the spec. `record` is the current `status.stores`; `inUse` holds
 * `kind/name` of the stores some share uses; `pushed` the credential fingerprints last pushed, by `kind/name`.
 */
export function planStores(
  desired: readonly DesiredStore[],
  observed: ObservedStores,
  record: readonly StoreStatus[],
  inUse: ReadonlySet<string>,
  pushed: Readonly<Record<string, string>> = {},
): StorePlan {
  const onServer = new Map<string, Store>();
  for (const kind of STORE_KINDS) for (const s of observed[kind]) onServer.set(key(kind, s.name), s);
  const ours = new Set(record.filter(isOperatorsStore).map((e) => key(e.kind, e.name)));
  const wanted = new Set(desired.map((d) => key(d.kind, d.name)));
  const plan: StorePlan = { create: [], update: [], remove: [], settled: [] };
  for (const d of desired) {
    const current = onServer.get(key(d.kind, d.name));
    if (d.blocked) plan.settled.push({ kind: d.kind, name: d.name, type: current?.type ?? d.type, state: "Pending", message: d.blocked });
    else if (!current) plan.create.push(d);
    else if (storeMatches(d, current) && d.secret && pushed[key(d.kind, d.name)] !== d.secret.fingerprint) plan.update.push(d);
    else if (storeMatches(d, current)) plan.settled.push({ kind: d.kind, name: d.name, type: current.type, ...healthOf(current.health) });
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
  | { kind: StoreKind; name: string; op: "create" | "update" | "remove"; result: "ok"; health?: Store["health"] }
  /** 400 or 409: the server refused the store; tried again after a back-off, or at once when its body changes. */
  | { kind: StoreKind; name: string; op: "create" | "update"; result: "rejected"; message: string };

/**
 * The next `status.stores`: the settled entries, the created and corrected stores (with the probe the server
 * answered with), and the ones whose call was not answered (Pending; a removal not made keeps its Created entry, so
 * it is tried again). Sorted, so an unchanged record compares equal.
 */
export function nextStoreRecord(plan: StorePlan, outcomes: readonly StoreOutcome[]): StoreStatus[] {
  const entries: StoreStatus[] = [...plan.settled];
  const outcomeOf = (kind: StoreKind, name: string) => outcomes.find((o) => o.kind === kind && o.name === name);
  for (const d of [...plan.create, ...plan.update]) {
    const o = outcomeOf(d.kind, d.name);
    if (o?.result === "ok") entries.push({ kind: d.kind, name: d.name, type: d.type, ...healthOf(o.health) });
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
  reason: typeof REASON.StoresCreated | typeof REASON.StoreConflict | typeof REASON.StoreRejected | typeof REASON.StoreUnhealthy | typeof REASON.StorePending;
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
  const unhealthy = of("Unhealthy");
  if (unhealthy.length > 0) return { ok: false, reason: REASON.StoreUnhealthy, message: unhealthy.map((e) => `${e.kind} store ${e.name}: ${e.message ?? ""}`).join("; ") };
  const waiting = desired.filter((d) => entry(d)?.state !== "Created");
  if (waiting.length > 0) {
    const why = (d: DesiredStore) => (entry(d)?.state === "Pending" && entry(d)?.message ? ` (${entry(d)?.message ?? ""})` : "");
    return { ok: false, reason: REASON.StorePending, message: `${waiting.map((d) => `${d.kind} store ${d.name}${why(d)}`).join(", ")} not created or corrected yet` };
  }
  const leaving = record.filter((e) => e.state === "Created" && !desired.some((d) => d.kind === e.kind && d.name === e.name));
  if (leaving.length > 0) return { ok: false, reason: REASON.StorePending, message: `${names(leaving)} left the spec and is not removed from the server yet` };
  return { ok: true, reason: REASON.StoresCreated, message: desired.length > 0 ? `${desired.map((d) => `${d.kind} store ${d.name}`).join(", ")} on the server as specified` : "no store specified" };
}
