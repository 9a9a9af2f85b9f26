/**
 * The DittoFS API part of an apply pass: reach the server behind the pod, hold a working account, read its
 * adapters on a schedule, and hand what it saw to the planner (`Observed.adapters`) and to the status
 * (`Authenticated`, `status.adapters`, Ready means serving).
 *
 * The API is called only when the StatefulSet counts the pod available and the pod has an IP: before that the
 * server is starting and every call would fail. That is the moment `Available` turns True, so the first answer (or
 * failure) lands in the same status write instead of one more; the transition polls at once. The cached pod's own
 * Ready condition is not asked as well: its watch may lag the StatefulSet's, and waiting for it cost one more status
 * write for 2 servers in 1000 (scale benchmark). Between polls a pass reuses what the last poll saw, so a pass
 * triggered by an unrelated event calls nothing and writes nothing. Failures back off (../dittofs/backoff.ts) in
 * state kept per DittoServer across passes, never in a hot loop.
 */
import { randomBytes } from "node:crypto";
import type { DittoServer, SnapshotPolicyStatus, StoreStatus } from "../api/types.ts";
import { DEFAULTS } from "../api/defaults.ts";
import { accountFromSecretData, accountSecretData, ensureAccount, OPERATOR_USERNAME, refreshDueAt, tokenTimes } from "../dittofs/account.ts";
import type { Account, AccountApi } from "../dittofs/account.ts";
import { afterTerminal, afterTransient, DEFAULT_BACKOFF, mayCall, waitMs } from "../dittofs/backoff.ts";
import type { ApiBackoff } from "../dittofs/backoff.ts";
import { DittoFsClient } from "../dittofs/client.ts";
import type { ApiEndpoint } from "../dittofs/client.ts";
import { DittoFsError } from "../dittofs/errors.ts";
import type { Adapter, Liveness } from "../dittofs/wire.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { CORE } from "../runtime/resources.ts";
import { serving } from "./adapters.ts";
import type { AdapterView, Serving } from "./adapters.ts";
import { apiEndpoint, authInputsFingerprint, desiredOperatorCredentialsSecret, operatorCredentialsSecretName } from "./api-access.ts";
import { parseGoDuration } from "./duration.ts";
import { podName } from "./names.ts";
import type { Write } from "./executor.ts";
import { REASON } from "./reasons.ts";
import { referencedSecrets } from "./secretrefs.ts";
import { syncSnapshotPolicies } from "./snapshot-policy-sync.ts";
import type { SnapshotPolicyApi } from "./snapshot-policy-sync.ts";
import type { PolicyRetries } from "./snapshot-policies.ts";
import { syncStores } from "./store-sync.ts";
import type { StoreApi } from "./store-sync.ts";
import { desiredStores, isOperatorsStore } from "./stores.ts";

/** The calls a pass makes to one server: a DittoFsClient, or a fake in unit tests. */
export type DittoFsApi = AccountApi & SnapshotPolicyApi & StoreApi & Pick<DittoFsClient, "listAdapters" | "nfsSettings" | "health" | "close">;

/** `Authenticated` as the pass last established it. */
export interface AuthOutcome {
  ok: boolean;
  reason: typeof REASON.AuthenticationSucceeded | typeof REASON.APIUnreachable | typeof REASON.AuthenticationFailed;
  message: string;
}

/** What one DittoServer's API pass remembers between passes (in memory: a restarted operator polls at once). */
export interface ServerApiState {
  uid: string;
  /** The pod the view, the poll time and the back-off are for; a new pod starts over. */
  podUid?: string | undefined;
  client?: { key: string; api: DittoFsApi; endpoint: ApiEndpoint } | undefined;
  /** The client lent to controllers of resources bound to this server (`borrow`), for the same endpoint. */
  borrowed?: { key: string; api: DittoFsClient } | undefined;
  backoff?: ApiBackoff | undefined;
  lastPollAt?: number | undefined;
  view?: AdapterView | undefined;
  liveness?: Liveness | undefined;
  /** The account in use, ahead of the Secret the cache holds (which may lag a write). */
  account?: Account | undefined;
  auth?: AuthOutcome | undefined;
  /** The snapshot-policy sync's last result, and the spec entries it was for (`JSON.stringify`). */
  policies?: { spec: string; record: SnapshotPolicyStatus[]; retries: PolicyRetries } | undefined;
  /** The store sync's last record, and `spec.stores` it was for (`JSON.stringify`). */
  stores?: { spec: string; record: StoreStatus[] } | undefined;
}

/**
 * The session a controller of a resource bound to a DittoServer borrows (`DittoFsAccess.borrow`): a client for
 * the server's endpoint and the access token the DittoServer's own pass holds; or why there is none.
 */
export type Borrowed = { ok: true; api: DittoFsClient; token: string; where: string } | { ok: false; reason: string; message: string };

/** Per-DittoServer API state and the client factory; one per controller, built in controller.ts. */
export class DittoFsAccess {
  private readonly states = new Map<string, ServerApiState>();
  readonly connect: (endpoint: ApiEndpoint) => DittoFsApi;
  /**
   * Clients lent to borrowers: the full API (shares, users, groups), while `connect` gives the DittoServer's pass
   * only what it calls (its unit tests fake just that).
   */
  readonly connectBorrower: (endpoint: ApiEndpoint) => DittoFsClient;
  readonly random: () => number;
  readonly newPassword: () => string;
  private readonly refusedListeners: ((serverKey: string) => void)[] = [];

  constructor(options: { connect?: (endpoint: ApiEndpoint) => DittoFsApi; connectBorrower?: (endpoint: ApiEndpoint) => DittoFsClient; random?: () => number; newPassword?: () => string } = {}) {
    this.connect = options.connect ?? ((endpoint) => new DittoFsClient(endpoint));
    this.connectBorrower = options.connectBorrower ?? ((endpoint) => new DittoFsClient(endpoint));
    this.random = options.random ?? Math.random;
    this.newPassword = options.newPassword ?? (() => randomBytes(24).toString("base64url"));
  }

  /**
   * The live session of the DittoServer `serverKey` (UID `serverUid`) as its controller's last pass left it.
   * Never provisions or logs in: the DittoServer controller owns the account. Not ok, with the server's own
   * `Authenticated` reason and message, while it has no working session (or its token has expired).
   */
  borrow(serverKey: string, serverUid: string, now: number): Borrowed {
    const state = this.states.get(serverKey);
    if (state?.uid !== serverUid) return { ok: false, reason: REASON.APIUnreachable, message: "the operator has not called the DittoFS API of this server yet" };
    const token = state.account?.accessToken;
    const client = state.client;
    if (!state.auth?.ok || !token || !client) {
      return { ok: false, reason: state.auth?.reason ?? REASON.APIUnreachable, message: state.auth?.ok === false ? state.auth.message : "the DittoServer's pass is logging in to the DittoFS API again" };
    }
    const expiresAt = tokenTimes(token)?.expiresAt;
    if (expiresAt !== undefined && now >= expiresAt) return { ok: false, reason: REASON.AuthenticationFailed, message: "the access token expired before the DittoServer's pass refreshed it" };
    if (state.borrowed?.key !== client.key) {
      state.borrowed?.api.close();
      state.borrowed = { key: client.key, api: this.connectBorrower(client.endpoint) };
    }
    return { ok: true, api: state.borrowed.api, token, where: `${client.endpoint.podIP}:${client.endpoint.port}` };
  }

  /** Calls `listener` with a server's key when a borrower's call was refused with 401 (`tokenRefused`). */
  onTokenRefused(listener: (serverKey: string) => void): void {
    this.refusedListeners.push(listener);
  }

  /**
   * A borrower's call got 401: the token is dropped (no borrower gets it again) and the server's next pass, which
   * the listener schedules at once, logs in again with the stored password.
   */
  tokenRefused(serverKey: string): void {
    const state = this.states.get(serverKey);
    if (!state?.account?.accessToken) return;
    state.account = { ...state.account, accessToken: undefined };
    state.lastPollAt = undefined;
    for (const listener of this.refusedListeners) listener(serverKey);
  }

  /** The state of the DittoServer `key`; a different UID (deleted and created again) starts from nothing. */
  state(key: string, uid: string): ServerApiState {
    const known = this.states.get(key);
    if (known?.uid === uid) return known;
    if (known) this.forget(key);
    const fresh: ServerApiState = { uid };
    this.states.set(key, fresh);
    return fresh;
  }

  /** Drops the state of a DittoServer that is gone, closing its connections. */
  forget(key: string): void {
    const state = this.states.get(key);
    state?.client?.api.close();
    state?.borrowed?.api.close();
    this.states.delete(key);
  }

  /** The client for `endpoint`, reused while the endpoint (address and TLS material) stays the same. */
  client(state: ServerApiState, endpoint: ApiEndpoint): DittoFsApi {
    const key = JSON.stringify(endpoint);
    if (state.client?.key === key) return state.client.api;
    state.client?.api.close();
    state.client = { key, api: this.connect(endpoint), endpoint };
    return state.client.api;
  }

  close(): void {
    for (const key of [...this.states.keys()]) this.forget(key);
  }
}

/** `spec.adapterDiscovery.pollingInterval` in ms (the CRD bounds it to 5s..1h; the default if unreadable). */
export function pollIntervalMs(server: DittoServer): number {
  const parsed = parseGoDuration(server.spec.adapterDiscovery?.pollingInterval ?? DEFAULTS.adapterDiscovery.pollingInterval);
  const fallback = parseGoDuration(DEFAULTS.adapterDiscovery.pollingInterval);
  const ns = parsed.ok && parsed.nanoseconds > 0n ? parsed.nanoseconds : fallback.ok ? fallback.nanoseconds : 30_000_000_000n;
  return Number(ns / 1_000_000n);
}

/**
 * Whether this pass calls the API: after a failure when the back-off allows, otherwise once per interval or when
 * the access token is due for its refresh, whichever comes first (a poll interval longer than the token's last
 * fifth would otherwise let it lapse before the refresh).
 */
export function pollDue(state: Pick<ServerApiState, "backoff" | "lastPollAt" | "account">, now: number, intervalMs: number, fingerprint: string): boolean {
  if (state.backoff) return mayCall(state.backoff, now, fingerprint);
  const refreshAt = refreshDueAt(state.account);
  if (refreshAt !== undefined && now >= refreshAt) return true;
  return state.lastPollAt === undefined || now >= state.lastPollAt + intervalMs;
}

/** Never requeue sooner than this for the API: a due time in the past must not spin the queue. */
const MIN_REQUEUE_MS = 1_000;

/** When the pass should run again for the API: the back-off's time after a failure, else the next poll or refresh. */
export function nextApiPassMs(state: Pick<ServerApiState, "backoff" | "lastPollAt" | "account">, now: number, intervalMs: number): number | undefined {
  if (state.backoff) return Math.max(MIN_REQUEUE_MS, waitMs(state.backoff, now));
  if (state.lastPollAt === undefined) return undefined;
  const nextPoll = state.lastPollAt + intervalMs;
  return Math.max(MIN_REQUEUE_MS, Math.min(nextPoll, refreshDueAt(state.account) ?? nextPoll) - now);
}

/** What the API part of a pass gives the rest of it. */
export interface ApiObservation {
  auth: AuthOutcome;
  /** The adapters of the current pod as last polled; undefined while its API has never answered. */
  view?: AdapterView | undefined;
  /** `serving(view)`: undefined while the view is unknown (Ready then follows the pod's readiness). */
  serving?: Serving | undefined;
  /** The operator-credentials Secret, when its data differs from the cached one. */
  writes: Write[];
  /** The account was (re-)provisioned in this pass. */
  provisioned: boolean;
  /** `status.snapshotPolicies` as the last sync left it; undefined before the first. */
  snapshotPolicies?: SnapshotPolicyStatus[] | undefined;
  /** `status.stores` as the last sync left it; undefined before the first. */
  stores?: StoreStatus[] | undefined;
  requeueAfterMs?: number | undefined;
}

export interface ApiPassInput {
  server: DittoServer;
  pod: KubeObject | undefined;
  /** The StatefulSet counts a pod available (the pod's readiness alone runs ahead of it). */
  available: boolean;
  /** A Secret of the server's namespace, from the cache. */
  secret: (name: string) => KubeObject | undefined;
  now: number;
  signal?: AbortSignal | undefined;
}

function decoded(secret: KubeObject | undefined): Record<string, string> | undefined {
  const data = secret?.data as Record<string, string> | undefined;
  if (!data) return undefined;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

/** The pod's IP from its status; undefined while it has none. */
export function podIPOf(pod: KubeObject | undefined): string | undefined {
  const ip = (pod?.status as { podIP?: unknown } | undefined)?.podIP;
  return typeof ip === "string" && ip !== "" ? ip : undefined;
}

function adminPassword(server: DittoServer, secret: ApiPassInput["secret"]): string {
  const use = referencedSecrets(server).find((u) => u.purpose === "admin.password");
  return (use && decoded(secret(use.name))?.[use.key]) ?? "";
}

function unreachable(where: string, error: DittoFsError): AuthOutcome {
  return { ok: false, reason: REASON.APIUnreachable, message: `the DittoFS API at ${where} did not answer: ${error.message}` };
}

function failed(message: string): AuthOutcome {
  return { ok: false, reason: REASON.AuthenticationFailed, message };
}

/** The API part of one apply pass; throws only when the pass is aborted. */
export async function observeApi(access: DittoFsAccess, input: ApiPassInput): Promise<ApiObservation> {
  const { server, pod, now } = input;
  const key = `${server.metadata.namespace ?? ""}/${server.metadata.name ?? ""}`;
  const state = access.state(key, server.metadata.uid ?? "");
  const podIP = input.available ? podIPOf(pod) : undefined;
  if (pod?.metadata.uid !== state.podUid) Object.assign(state, { podUid: pod?.metadata.uid, view: undefined, liveness: undefined, lastPollAt: undefined, backoff: undefined });
  if (!podIP) {
    // Not ready: the next ready transition polls at once.
    Object.assign(state, { lastPollAt: undefined, backoff: undefined });
    // One message whether the pod is missing or starting: each change of it would cost a status write.
    const message = `waiting for pod ${podName(server.metadata.name ?? "")} to be ready: the operator calls its API once it is`;
    return observation(state, { ok: false, reason: REASON.APIUnreachable, message }, server, input, false);
  }
  const tls = { serverCert: decoded(input.secret(server.spec.controlPlane.certSecretName ?? "")), operatorCert: decoded(input.secret(server.spec.controlPlane.operatorClientCertSecretName ?? "")) };
  const endpoint = apiEndpoint(server, podIP, tls);
  // A missing piece of TLS material is fixed by a Secret change, which triggers a pass: nothing to retry.
  if (!endpoint.ok) return observation(state, failed(endpoint.message), server, input, false);
  const password = adminPassword(server, input.secret);
  state.account ??= accountFromSecretData(decoded(input.secret(operatorCredentialsSecretName(server.metadata.name ?? ""))));
  const fingerprint = authInputsFingerprint(password, state.account, endpoint.endpoint);
  const interval = pollIntervalMs(server);
  if (!pollDue(state, now, interval, fingerprint) && !policiesChanged(state, server) && !storesChanged(state, server)) return observation(state, state.auth, server, input, false);

  const api = access.client(state, endpoint.endpoint);
  const where = `${podIP}:${endpoint.endpoint.port}`;
  const result = await ensureAccount(api, { account: state.account, adminPassword: password, now, newPassword: access.newPassword, signal: input.signal });
  if (result.kind !== "authenticated") {
    input.signal?.throwIfAborted();
    if (result.kind === "unreachable") {
      state.backoff = afterTransient(state.backoff, now, DEFAULT_BACKOFF, access.random);
      return observation(state, unreachable(where, result.error), server, input, false);
    }
    state.backoff = afterTerminal(state.backoff, now, fingerprint);
    return observation(state, failed(result.message), server, input, false);
  }
  state.account = result.account;
  try {
    const adapters = await api.listAdapters(result.token, { signal: input.signal });
    const nfsOn = adapters.some((a: Adapter) => a.type === "nfs" && a.enabled);
    const nfs = nfsOn ? await api.nfsSettings(result.token, { signal: input.signal }) : undefined;
    state.liveness = await api.health({ signal: input.signal });
    state.view = nfs ? { adapters, nfs } : { adapters };
    // Stores before policies: shares, and so their policies, need the stores.
    await syncServerStores(api, result.token, server, state, input);
    await syncPolicies(api, result.token, server, state, input);
    Object.assign(state, { lastPollAt: now, backoff: undefined });
    const auth: AuthOutcome = { ok: true, reason: REASON.AuthenticationSucceeded, message: `authenticated to the DittoFS API at ${where} as ${result.account.username}` };
    return observation(state, auth, server, input, result.provisioned);
  } catch (err) {
    input.signal?.throwIfAborted();
    if (!(err instanceof DittoFsError)) throw err;
    if (err.kind === "unauthorized") {
      // The token was revoked under us: the next attempt (soon) logs in again with the stored password; until
      // then the condition stays as it was rather than flapping.
      state.account = { ...result.account, accessToken: undefined };
      state.backoff = afterTransient(state.backoff, now, DEFAULT_BACKOFF, access.random);
      return observation(state, state.auth, server, input, result.provisioned);
    }
    if (err.transient) {
      state.backoff = afterTransient(state.backoff, now, DEFAULT_BACKOFF, access.random);
      return observation(state, unreachable(where, err), server, input, result.provisioned);
    }
    state.backoff = afterTerminal(state.backoff, now, fingerprint);
    return observation(state, failed(`reading the adapters as ${OPERATOR_USERNAME} failed: ${err.message}`), server, input, result.provisioned);
  }
}

const specOf = (server: DittoServer): string => JSON.stringify(server.spec.snapshotPolicies ?? []);

/** A spec change of the policies is applied at once, not at the next poll; never inside a back-off. */
function policiesChanged(state: ServerApiState, server: DittoServer): boolean {
  return !state.backoff && state.lastPollAt !== undefined && (state.policies?.spec ?? "[]") !== specOf(server);
}

/**
 * The snapshot-policy sync, with the poll's token: nothing to do (no call) while no policy is specified or
 * recorded. Its failure is the poll's (thrown): same classification, same back-off.
 */
async function syncPolicies(api: DittoFsApi, token: string, server: DittoServer, state: ServerApiState, input: ApiPassInput): Promise<void> {
  const desired = server.spec.snapshotPolicies ?? [];
  const record = state.policies?.record ?? server.status?.snapshotPolicies ?? [];
  const spec = specOf(server);
  if (desired.length === 0 && record.length === 0) {
    state.policies = { spec, record: [], retries: {} };
    return;
  }
  const result = await syncSnapshotPolicies(api, { token, desired, record, retries: state.policies?.retries, now: input.now, signal: input.signal });
  state.policies = { spec, record: result.record, retries: result.retries };
  if (result.error) throw result.error;
}

const storesSpecOf = (server: DittoServer): string => JSON.stringify(server.spec.stores ?? {});

/** A spec change of the stores is applied at once, as one of the policies. */
function storesChanged(state: ServerApiState, server: DittoServer): boolean {
  return !state.backoff && state.lastPollAt !== undefined && (state.stores?.spec ?? "{}") !== storesSpecOf(server);
}

/**
 * The store sync, with the poll's token: no call while no store is specified and none is recorded as the
 * operator's. Its failure is the poll's (thrown): same classification, same back-off.
 */
async function syncServerStores(api: DittoFsApi, token: string, server: DittoServer, state: ServerApiState, input: ApiPassInput): Promise<void> {
  const desired = desiredStores(server);
  const record = state.stores?.record ?? server.status?.stores ?? [];
  const spec = storesSpecOf(server);
  if (desired.length === 0 && !record.some(isOperatorsStore)) {
    state.stores = { spec, record: [] };
    return;
  }
  const result = await syncStores(api, { token, desired, record, signal: input.signal });
  state.stores = { spec, record: result.record };
  if (result.error) throw result.error;
}

/** Assembles the pass's result from the state; the Secret is written only when its data changed. */
function observation(state: ServerApiState, auth: AuthOutcome | undefined, server: DittoServer, input: ApiPassInput, provisioned: boolean): ApiObservation {
  const outcome = auth ?? { ok: false, reason: REASON.APIUnreachable, message: "the operator has not called the DittoFS API yet" };
  state.auth = outcome;
  const writes: Write[] = [];
  if (state.account) {
    const name = operatorCredentialsSecretName(server.metadata.name ?? "");
    const stored = decoded(input.secret(name));
    const wanted = accountSecretData(state.account);
    const same = stored !== undefined && Object.keys(wanted).length === Object.keys(stored).length && Object.entries(wanted).every(([k, v]) => stored[k] === v);
    if (!same) writes.push({ op: "apply", resource: CORE.secrets, object: desiredOperatorCredentialsSecret(server, state.account), step: `apply Secret ${name}` });
  }
  return {
    auth: outcome,
    view: state.view,
    serving: state.view ? serving(state.view.adapters, state.liveness) : undefined,
    writes,
    provisioned,
    snapshotPolicies: state.policies?.record,
    stores: state.stores?.record,
    requeueAfterMs: nextApiPassMs(state, input.now, pollIntervalMs(server)),
  };
}
