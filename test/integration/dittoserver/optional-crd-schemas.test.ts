/**
 * Every ServiceMonitor and PerconaPGCluster the builders render passes the schema of its CRD on the real API server
 * (server-side dry run, strict field validation): the real ServiceMonitor CRD generated from the Prometheus
 * Operator's Go types, and the strict PerconaPGCluster stand-in (stand-ins.ts). Rendered from every contract case
 * (samples and matrix: TLS, mTLS, tokens, ports…) with metrics / Percona turned on, plus variants of their options.
 * Each schema also rejects a broken object, so a pass means something.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { withDefaults } from "../../../src/api/defaulting.ts";
import { PERCONA_CLUSTERS, SERVICE_MONITORS } from "../../../src/dittoserver/kinds.ts";
import { desiredPerconaCluster } from "../../../src/dittoserver/percona.ts";
import { desiredServiceMonitor } from "../../../src/dittoserver/services.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { createTestNamespace, kubectl } from "../../controlplane/testenv.ts";
import { allCases } from "../../contract/cases.ts";
import { installStandIns, removeStandIns } from "./stand-ins.ts";

type Spec = Record<string, unknown>;
let ns: { name: string; delete(): Promise<void> };

before(async () => {
  ns = await createTestNamespace("optional-crds");
  await removeStandIns([SERVICE_MONITORS, PERCONA_CLUSTERS]);
  await installStandIns([SERVICE_MONITORS, PERCONA_CLUSTERS]);
});

after(async () => {
  await removeStandIns([SERVICE_MONITORS, PERCONA_CLUSTERS]);
  await ns.delete();
});

/** Each contract case's DittoServer with `overlay(spec)` applied, named `<case>-<variant>`, defaults filled in. */
function servers(variants: Record<string, (spec: Spec) => Spec>): ReturnType<typeof withDefaults>[] {
  return allCases().flatMap((c) => Object.entries(variants).map(([variant, overlay]) => {
    const manifest = c.manifest as { metadata: { name: string }; spec: Spec };
    return withDefaults({
      ...manifest,
      metadata: { name: `${manifest.metadata.name}-${variant}`, namespace: ns.name, uid: "00000000-0000-0000-0000-0000000000aa" },
      spec: overlay(manifest.spec),
    });
  }));
}

/** Server-side dry-run apply with strict field validation; the failing objects' messages, "" when all pass. */
async function dryRunApply(objects: KubeObject[]): Promise<{ code: number; stderr: string }> {
  const r = await kubectl(["apply", "--server-side", "--dry-run=server", "--validate=strict", "--field-manager=schema-test", "-f", "-"], {
    input: objects.map((o) => JSON.stringify(o)).join("\n"),
  });
  return { code: r.code, stderr: r.stderr };
}

async function assertAccepted(objects: KubeObject[], what: string): Promise<void> {
  assert.ok(objects.length > 0, `no ${what} rendered`);
  const r = await dryRunApply(objects);
  assert.equal(r.code, 0, `${what} refused by the CRD schema:\n${r.stderr}`);
}

async function assertRejected(object: KubeObject, pattern: RegExp): Promise<void> {
  const r = await dryRunApply([object]);
  assert.notEqual(r.code, 0, `accepted: ${JSON.stringify(object)}`);
  assert.match(r.stderr, pattern);
}

const metrics = (spec: Spec, extra: Spec): Spec => ({
  ...spec,
  metrics: { ...(spec.metrics as Spec | undefined), enabled: true, ...extra, serviceMonitor: { enabled: true, ...(extra.serviceMonitor as Spec | undefined) } },
});

describe("ServiceMonitor (the real CRD, prometheus-operator v0.95)", () => {
  const rendered = (): KubeObject[] => servers({
    sm: (spec) => metrics(spec, {}),
    "sm-opts": (spec) => metrics(spec, { port: 9464, path: "/prom", serviceMonitor: { interval: "15s", labels: { release: "kube-prometheus" } } }),
    "sm-token": (spec) => metrics(spec, { bearerTokenSecret: { name: "scrape", key: "token" } }),
  }).map((s) => desiredServiceMonitor(s)).filter((o) => o !== undefined);

  it("accepts every ServiceMonitor we render", async () => {
    const monitors = rendered();
    assert.ok(monitors.length >= 3 * allCases().length, `${String(monitors.length)} rendered`);
    assert.ok(monitors.some((m) => JSON.stringify(m).includes("bearerTokenSecret")), "the token variant is among them");
    await assertAccepted(monitors, "ServiceMonitors");
  });

  it("rejects what its schema forbids (it is not the accept-anything stand-in)", async () => {
    const sample = rendered()[0]!;
    const endpoints = (sample.spec as { endpoints: Spec[] }).endpoints;
    await assertRejected({ ...sample, spec: { ...(sample.spec as Spec), endpoints: [{ ...endpoints[0], scheme: "gopher" }] } }, /scheme/);
    await assertRejected({ ...sample, spec: { ...(sample.spec as Spec), endpoints: [{ ...endpoints[0], notAField: true }] } }, /notAField/);
  });
});

describe("PerconaPGCluster (strict stand-in: exactly the fields we render, Percona's types)", () => {
  const rendered = (): KubeObject[] => servers({
    pg: (spec) => ({ ...spec, database: undefined, percona: { enabled: true } }),
    "pg-opts": (spec) => ({ ...spec, database: undefined, percona: { enabled: true, replicas: 3, storageSize: "20Gi", storageClassName: "fast", databaseName: "files", deleteWithServer: true } }),
    "pg-backup": (spec) => ({
      ...spec,
      database: undefined,
      percona: { enabled: true, backup: { enabled: true, bucket: "b", endpoint: "s3.example.com", credentialsSecretRef: { name: "s3" }, retentionDays: 7 } },
    }),
  }).map((s) => desiredPerconaCluster(s)).filter((o) => o !== undefined);

  it("accepts every PerconaPGCluster we render", async () => {
    const clusters = rendered();
    assert.ok(clusters.some((c) => JSON.stringify(c).includes("pgbackrest")), "the backup variant is among them");
    await assertAccepted(clusters, "PerconaPGClusters");
  });

  it("rejects a field we do not render, a wrong type and a missing required field", async () => {
    const sample = rendered()[0]!;
    const spec = sample.spec as Spec;
    await assertRejected({ ...sample, spec: { ...spec, notAField: 1 } }, /notAField/);
    await assertRejected({ ...sample, spec: { ...spec, postgresVersion: "16" } }, /postgresVersion/);
    await assertRejected({ ...sample, spec: { ...spec, instances: undefined } }, /instances/);
  });
});
