/**
 * Helpers of the DittoServer end-to-end tests: the operator in-process (a Manager with the real controller,
 * restricted to the test namespace, metrics on a private registry to count its writes), typed reads, waits on
 * conditions and events.
 */
import assert from "node:assert/strict";
import type { DestinationStream } from "pino";
import { Registry } from "prom-client";
import { API_VERSION, KIND } from "../../../src/api/constants.ts";
import type { DittoServerStatus } from "../../../src/api/types.ts";
import { DittoFsClient } from "../../../src/dittofs/client.ts";
import type { Request } from "../../../src/dittofs/client.ts";
import { DittoFsAccess } from "../../../src/dittoserver/api-pass.ts";
import { createOperator } from "../../../src/operator.ts";
import { DITTOSERVERS, OPERATOR_DEFAULTS } from "../../../src/dittoserver/kinds.ts";
import type { OperatorOptions } from "../../../src/dittoserver/kinds.ts";
import { KubeClient, loadKubeConfig } from "../../../src/runtime/client.ts";
import type { Controller } from "../../../src/runtime/controller.ts";
import type { Manager } from "../../../src/runtime/manager.ts";
import { createRuntimeMetrics } from "../../../src/runtime/metrics.ts";
import type { Condition, KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { createLogger } from "../../../src/runtime/log.ts";
import { testKubeConfigPath, waitFor } from "../../controlplane/testenv.ts";
import { recordReasons } from "./reasons-seen.ts";
import type { ReasonRecorder } from "./reasons-seen.ts";

export { installCrd } from "../api/support.ts";

/** Short timings so a file runs in seconds; the real defaults are unit-tested. */
export const TEST_OPTIONS: OperatorOptions = { ...OPERATOR_DEFAULTS, deletionPodWarningMs: 3_000, deletionPodTimeoutMs: 6_000, pollMs: 2_000, resyncMs: 60_000, unschedulableGraceMs: 3_000, volumeBindingGraceMs: 3_000 };

export interface RunningOperator {
  manager: Manager;
  controller: Controller;
  /** Write requests (POST, PUT, PATCH, DELETE) the operator has sent so far. */
  writes(): Promise<number>;
  /** Requests of any method the API server answered with HTTP `code`. */
  answered(code: number): Promise<number>;
  /** Reconcile passes finished so far (any result). */
  reconciles(): Promise<number>;
  /** Conditions and events the file observed in the namespace (appended to the run's reason record on stop). */
  reasons: ReasonRecorder;
  stop(): Promise<void>;
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** `dittofs`: the operator's access to the servers' APIs, for a test that counts its DittoFS calls. */
/** `log`: where the operator's log lines go instead of stdout (a test reading them), at `debug` level. */
export async function startOperator(namespace: string, options: OperatorOptions = TEST_OPTIONS, dittofs?: DittoFsAccess, log?: DestinationStream): Promise<RunningOperator> {
  const registry = new Registry();
  // Opened before the operator starts, so every status write of the file's servers is seen.
  const recorderClient = adminClient();
  const reasons = await recordReasons(recorderClient, namespace);
  const { manager, controller } = createOperator(
    {
      kubeConfig: loadKubeConfig(testKubeConfigPath()),
      namespace,
      metricsBindAddress: "0",
      healthProbeBindAddress: "0",
      metrics: createRuntimeMetrics(registry),
      logger: createLogger(log ? { level: "debug", name: "operator", destination: log } : { level: process.env.DITTOFS_TEST_OPERATOR_LOG ?? "warn", name: "operator" }),
      gracefulShutdownTimeoutMs: 5_000,
    },
    options,
    dittofs,
  );
  await manager.start();
  const values = async (metric: string) => (await registry.getSingleMetric(metric)?.get())?.values ?? [];
  return {
    manager,
    controller,
    writes: async () => {
      const metric = (await registry.getSingleMetric("rest_client_requests_total")?.get())?.values ?? [];
      return metric.filter((v) => WRITE_METHODS.has(String(v.labels.method))).reduce((sum, v) => sum + v.value, 0);
    },
    answered: async (code) => (await values("rest_client_requests_total")).filter((v) => String(v.labels.code) === String(code)).reduce((sum, v) => sum + v.value, 0),
    reconciles: async () => (await values("controller_runtime_reconcile_total")).reduce((sum, v) => sum + v.value, 0),
    reasons,
    stop: async () => {
      await manager.stop();
      await reasons.stop().finally(() => recorderClient.close());
    },
  };
}

/** An admin client for the test's own reads and writes. */
export function adminClient(): KubeClient {
  return new KubeClient(loadKubeConfig(testKubeConfigPath()), { fieldManager: "dittofs-e2e-tests" });
}

export function dittoServer(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, spec };
}

export async function getServer(client: KubeClient, namespace: string, name: string): Promise<KubeObject & { status?: DittoServerStatus }> {
  return client.get(DITTOSERVERS, { namespace, name });
}

export function condition(status: DittoServerStatus | undefined, type: string): Condition | undefined {
  return (status?.conditions)?.find((c) => c.type === type);
}

/** Wait until the DittoServer's condition `type` has `status` (and `reason`, if given); returns the server. */
export async function waitForCondition(client: KubeClient, namespace: string, name: string, type: string, status: "True" | "False", reason?: string, timeoutMs = 60_000): Promise<KubeObject & { status?: DittoServerStatus }> {
  return waitFor(`${name} ${type}=${status}${reason ? ` (${reason})` : ""}`, async () => {
    const server = await getServer(client, namespace, name);
    const c = condition(server.status, type);
    if (c?.status === status && (!reason || c.reason === reason)) return server;
    if (c) throw new Error(`now ${type}=${c.status} ${c.reason}: ${c.message}`);
    return undefined;
  }, { timeoutMs, intervalMs: 200 });
}

export async function waitForPhase(client: KubeClient, namespace: string, name: string, phase: string, timeoutMs = 60_000): Promise<KubeObject & { status?: DittoServerStatus }> {
  return waitFor(`${name} phase ${phase}`, async () => {
    const server = await getServer(client, namespace, name);
    if (server.status?.phase === phase) return server;
    throw new Error(`phase is ${String(server.status?.phase)}`);
  }, { timeoutMs, intervalMs: 200 });
}

/** events.k8s.io events regarding the DittoServer `name`. */
export async function eventsFor(client: KubeClient, namespace: string, name: string): Promise<{ type: string; reason: string; note: string }[]> {
  const list = await client.list<{ regarding?: { kind?: string; name?: string }; type: string; reason: string; note?: string }>(CORE.events, { namespace });
  return list.items.filter((e) => e.regarding?.kind === KIND && e.regarding.name === name).map((e) => ({ type: e.type, reason: e.reason, note: e.note ?? "" }));
}

export async function waitForEvent(client: KubeClient, namespace: string, name: string, reason: string, timeoutMs = 30_000): Promise<{ type: string; reason: string; note: string }> {
  return waitFor(`event ${reason} on ${name}`, async () => (await eventsFor(client, namespace, name)).find((e) => e.reason === reason), { timeoutMs, intervalMs: 250 });
}

/** The pod of the server, if it exists. */
export async function pod(client: KubeClient, namespace: string, name: string): Promise<KubeObject | undefined> {
  return client.getOrUndefined(CORE.pods, { namespace, name: `${name}-0` });
}

/** Delete every DittoServer of the namespace and wait until they are gone (the operator must still run). */
export async function deleteAllServers(client: KubeClient, namespace: string): Promise<void> {
  const list = await client.list(DITTOSERVERS, { namespace });
  for (const s of list.items) await client.delete(DITTOSERVERS, { namespace, name: s.metadata.name ?? "" }).catch(() => undefined);
  await waitFor(`DittoServers of ${namespace} gone`, async () => ((await client.list(DITTOSERVERS, { namespace })).items.length === 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 250 });
}

export function assertDefined<T>(value: T | undefined, what: string): T {
  assert.ok(value !== undefined, `${what} is missing`);
  return value;
}

/**
 * A DittoFsAccess whose borrowed clients (the bound kinds' DittoShares, DittoUsers, …) record each call as
 * `METHOD path` in `calls`; the DittoServer's own pass uses a plain client.
 */
export function recordingBorrowers(calls: string[]): DittoFsAccess {
  return new DittoFsAccess({
    connectBorrower: (endpoint) => {
      const real = new DittoFsClient(endpoint);
      const call = real.call.bind(real);
      real.call = <T>(req: Request<T>): Promise<T> => {
        calls.push(`${req.method} ${req.path}`);
        return call(req);
      };
      return real;
    },
  });
}

/**
 * `client` with each method call recorded by name in `calls` (`call METHOD` for the generic `call` the share and
 * grant calls of src/dittofs/shares.ts go through); calls a method makes internally are not counted twice.
 */
export function recordingMethods(client: DittoFsClient, calls: string[]): DittoFsClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function" || prop === "close") return value;
      return (...args: unknown[]) => {
        calls.push(prop === "call" ? `call ${(args[0] as { method: string }).method}` : String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** A DittoFsAccess whose DittoServer passes record their DittoFS calls by method name in `calls`. */
export function recordingPass(calls: string[]): DittoFsAccess {
  return new DittoFsAccess({ connect: (endpoint) => recordingMethods(new DittoFsClient(endpoint), calls) });
}
