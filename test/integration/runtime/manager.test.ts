/**
 * An in-process manager on the shared control plane: probes and metrics, and an optional CRD that is installed
 * after start (its watch starts), removed (its watch stops) and installed again — without a restart.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createTestNamespace, testKubeConfigPath, waitFor } from "../../controlplane/testenv.ts";
import { KubeClient, loadKubeConfig } from "../../../src/runtime/client.ts";
import { controller } from "../../../src/runtime/controller.ts";
import { createLogger } from "../../../src/runtime/log.ts";
import { Manager } from "../../../src/runtime/manager.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import type { ResourceType } from "../../../src/runtime/resources.ts";
import { until } from "./support.ts";

const GROUP = `rt${randomBytes(3).toString("hex")}.example.com`;
const WIDGETS: ResourceType = { group: GROUP, version: "v1", plural: "widgets", kind: "Widget", namespaced: true };
const CRD_NAME = `widgets.${GROUP}`;

const crd: KubeObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: CRD_NAME },
  spec: {
    group: GROUP,
    scope: "Namespaced",
    names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: { spec: { type: "object", properties: { configMap: { type: "string" } } } },
          },
        },
      },
    ],
  },
};

let ns: { name: string; delete(): Promise<void> };
let client: KubeClient;
let manager: Manager;
const reconciled: string[] = [];

before(async () => {
  ns = await createTestNamespace("rt-manager");
  client = new KubeClient(loadKubeConfig(testKubeConfigPath()), { fieldManager: "manager-test" });
  await client.create(CORE.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "target", namespace: ns.name } });
  manager = new Manager({
    fieldManager: "manager-test",
    kubeconfigPath: testKubeConfigPath(),
    logger: createLogger({ level: "silent" }),
    namespace: ns.name,
    healthProbeBindAddress: "127.0.0.1:0",
    metricsBindAddress: "127.0.0.1:0",
    metricsSecure: false,
  });
  manager.add(
    controller("widget-configmaps")
      .for(CORE.configMaps)
      .watches(
        WIDGETS,
        (w) => {
          const target = (w.spec as { configMap?: string } | undefined)?.configMap;
          return target ? [`${w.metadata.namespace}/${target}`] : [];
        },
        { optionalCrd: CRD_NAME },
      )
      .reconcile((req) => {
        reconciled.push(req.key);
      }),
  );
  await manager.start();
});

after(async () => {
  await manager.stop();
  await client.delete(CORE.customResourceDefinitions, { name: CRD_NAME }).catch(() => undefined);
  await client.close();
  await ns.delete();
});

async function get(port: number | undefined, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

const widgetInformerSynced = (): boolean => manager.cache.peek(WIDGETS)?.hasSynced() ?? false;

async function createWidget(name: string): Promise<void> {
  const widget: KubeObject = {
    apiVersion: `${GROUP}/v1`,
    kind: "Widget",
    metadata: { name, namespace: ns.name },
    spec: { configMap: "target" },
  };
  await client.create(WIDGETS, widget);
}

describe("manager", () => {
  it("reconciles existing objects after start and reports ready", async () => {
    await until("initial reconcile", () => reconciled.includes(`${ns.name}/target`), { timeoutMs: 30_000 });
    const { probe } = manager.ports();
    assert.deepEqual(await get(probe, "/readyz"), { status: 200, body: "ok\n" });
    assert.equal((await get(probe, "/healthz")).status, 200);
    assert.equal((await get(probe, "/nothing")).status, 404);
  });

  it("serves controller-runtime metrics, counting API requests", async () => {
    const { body } = await get(manager.ports().metrics, "/metrics");
    assert.match(body, /rest_client_requests_total\{code="200",method="GET",host="127\.0\.0\.1:\d+"\} [1-9]/);
    assert.match(body, /controller_runtime_reconcile_total\{controller="widget-configmaps",result="success"\} [1-9]/);
  });

  it("starts watching an optional CRD when it is installed, stops when it goes, starts again", async () => {
    assert.equal(manager.cache.peek(WIDGETS), undefined, "no watch while the CRD is absent");

    await client.create(CORE.customResourceDefinitions, crd);
    await until("widget informer synced", widgetInformerSynced, { timeoutMs: 30_000 });
    const before = reconciled.length;
    await createWidget("w1");
    await until("widget event maps to its ConfigMap", () => reconciled.length > before, { timeoutMs: 30_000 });
    assert.equal(reconciled.at(-1), `${ns.name}/target`);

    await client.delete(CORE.customResourceDefinitions, { name: CRD_NAME });
    await until("widget informer removed", () => manager.cache.peek(WIDGETS) === undefined, { timeoutMs: 60_000 });
    await waitFor("CRD gone", async () =>
      (await client.getOrUndefined(CORE.customResourceDefinitions, { name: CRD_NAME })) === undefined ? true : undefined,
    );

    await client.create(CORE.customResourceDefinitions, crd);
    await until("widget informer back", widgetInformerSynced, { timeoutMs: 30_000 });
    const again = reconciled.length;
    await createWidget("w2");
    await until("events flow again", () => reconciled.length > again, { timeoutMs: 30_000 });
  });
});

