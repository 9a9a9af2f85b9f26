/**
 * The admission gate: thousands of generated hostile DittoServers go to the real API server with server-side dry
 * run; for every one it admits, the children our pure builders render (planPass over a synthetic observation in
 * which every referenced Secret exists and Percona is ready, so nothing is held back), stamped as the reconciler
 * stamps them, are applied with server-side dry run too, and so are the Pod and PVCs the StatefulSet controller
 * would create from the StatefulSet. Gate: no admitted spec renders an object the API server refuses.
 *
 * HOSTILE_CASES (default 3000), HOSTILE_SEED (default 15) and HOSTILE_POOL (default 4) change the run; the same seed
 * gives the same cases.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { DittoServer } from "../../../src/api/types.ts";
import { ENTROPY_BYTES, planPass } from "../../../src/dittoserver/plan.ts";
import type { Observed } from "../../../src/dittoserver/plan.ts";
import { referencedSecrets } from "../../../src/dittoserver/secretrefs.ts";
import { ApiError } from "../../../src/runtime/errors.ts";
import { CONTENT_TYPE, KubeClient, loadKubeConfig } from "../../../src/runtime/client.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE, resourcePath, withQuery } from "../../../src/runtime/resources.ts";
import type { ResourceType } from "../../../src/runtime/resources.ts";
import { CHILD_KINDS } from "../../../src/dittoserver/children.ts";
import { DITTOSERVERS, PERCONA_CLUSTERS, PVCS, SERVICE_MONITORS } from "../../../src/dittoserver/kinds.ts";
import { createTestNamespace, kubectl, testKubeConfigPath } from "../../controlplane/testenv.ts";
import { crdName, installStandIns, removeStandIns } from "../dittoserver/stand-ins.ts";
import { hostileSpecs } from "./hostile-specs.ts";
import type { HostileCase } from "./hostile-specs.ts";
import { installCrd } from "./support.ts";

const CASES = Number(process.env.HOSTILE_CASES ?? 3000);
const SEED = Number(process.env.HOSTILE_SEED ?? 15);
/**
 * Requests in flight (HOSTILE_POOL). The API server's CPU is the limit: on 2 shared, heavily loaded cores 1000 cases
 * took 40 s with 4, 73 s with 8 and 128 s with 16 in flight.
 */
const POOL = Number(process.env.HOSTILE_POOL ?? 4);
const FIELD_MANAGER = "dittofs-operator";

let client: KubeClient;
let namespace = "";
let cleanup: (() => Promise<void>)[] = [];

before(async () => {
  await installCrd();
  const absent: ResourceType[] = [];
  for (const r of [PERCONA_CLUSTERS, SERVICE_MONITORS]) {
    if ((await kubectl(["get", "crd", crdName(r)])).code !== 0) absent.push(r);
  }
  await installStandIns([PERCONA_CLUSTERS, SERVICE_MONITORS]);
  if (absent.length > 0) cleanup.push(() => removeStandIns(absent));
  // The pod's priority class must exist (Priority admission); a missing one is the cluster's state, not the spec's.
  if ((await kubectl(["get", "priorityclass", "high"])).code !== 0) {
    const created = await kubectl(["create", "priorityclass", "high", "--value=1000"]);
    assert.equal(created.code, 0, created.stderr);
    cleanup.push(async () => {
      await kubectl(["delete", "priorityclass", "high", "--ignore-not-found"]);
    });
  }
  const ns = await createTestNamespace("hostile");
  namespace = ns.name;
  cleanup.push(() => ns.delete());
  client = new KubeClient(loadKubeConfig(testKubeConfigPath()), { fieldManager: FIELD_MANAGER });
});

after(async () => {
  await client?.close();
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** The resource type of a rendered child, from the registry of child kinds. */
function resourceOf(child: KubeObject): ResourceType {
  const kind = CHILD_KINDS.find((k) => k.resource.kind === child.kind);
  if (!kind) throw new Error(`${child.kind} is not a child kind`);
  return kind.resource;
}

/** What the reconciler would have read: every Secret the spec refers to, with every key; Percona ready. */
function observedFor(server: DittoServer): Observed {
  const secrets = new Map<string, KubeObject>();
  for (const use of referencedSecrets(server)) {
    if (use.source === "operator") continue; // the plan creates these: they are children too
    const secret = secrets.get(use.name) ?? { apiVersion: "v1", kind: "Secret", metadata: { name: use.name, namespace }, data: {} };
    (secret.data as Record<string, string>)[use.key] = Buffer.from("x").toString("base64");
    secrets.set(use.name, secret);
  }
  return {
    secrets,
    operatorNamespace: "dittofs-system",
    ...(server.spec.percona?.enabled ? { percona: { kind: "present" as const, cluster: { apiVersion: "pgv2.percona.com/v2", kind: "PerconaPGCluster", metadata: {}, status: { state: "ready" } } } } : {}),
  };
}

type Json = Record<string, unknown>;

/** The pod and claims the StatefulSet controller makes from ordinal 0 (their own validation differs from the template's). */
function grandchildren(sts: KubeObject): { res: ResourceType; object: KubeObject }[] {
  const spec = sts.spec as Json;
  const template = spec.template as { metadata: Json; spec: Json };
  const name = `${sts.metadata.name}-0`;
  const claims = (spec.volumeClaimTemplates as { metadata: { name: string }; spec: Json }[]).map((c) => ({
    res: PVCS,
    object: { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: `${c.metadata.name}-${name}`, namespace }, spec: c.spec },
  }));
  const volumes = [...((template.spec.volumes ?? []) as Json[]), ...claims.map((c, i) => ({ name: (spec.volumeClaimTemplates as { metadata: { name: string } }[])[i]!.metadata.name, persistentVolumeClaim: { claimName: c.object.metadata.name } }))];
  const pod: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { ...template.metadata, name, namespace },
    spec: { ...template.spec, volumes, hostname: name, subdomain: spec.serviceName },
  };
  return [{ res: CORE.pods, object: pod }, ...claims];
}

interface Refusal {
  case: HostileCase;
  child: string;
  message: string;
}

function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.code} ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** Submits one case; returns whether it was admitted and every refusal of a child. */
async function runCase(c: HostileCase): Promise<{ admitted: boolean; rendered: boolean; children: number; refusals: Refusal[] }> {
  const body = { apiVersion: "dittofs.dittofs.com/v1alpha1", kind: "DittoServer", metadata: { name: c.name, namespace }, spec: c.spec };
  let server: DittoServer;
  try {
    server = await client.requestJson<DittoServer>("POST", withQuery(resourcePath(DITTOSERVERS, namespace), { dryRun: "All", fieldValidation: "Strict" }), { body });
  } catch (err) {
    if (err instanceof ApiError && (err.code === 422 || err.code === 400)) return { admitted: false, rendered: false, children: 0, refusals: [] };
    throw err;
  }
  const entropy = { jwt: new Uint8Array(ENTROPY_BYTES.jwt).fill(7), admin: new Uint8Array(ENTROPY_BYTES.admin).fill(9) };
  const plan = planPass(server, observedFor(server), entropy);
  // Created Secrets as sent, then every child as the executor would apply it (already stamped with its hash).
  const created = plan.writes.flatMap((w) => (w.op === "create" ? [{ res: w.resource, object: w.object }] : []));
  const children = [...created, ...plan.desired.map((object) => ({ res: resourceOf(object), object }))];
  const statefulSet = plan.desired.find((o) => o.kind === "StatefulSet");
  const refusals: Refusal[] = [];
  const writes = children.map(({ res, object: body }) => {
    const path = withQuery(resourcePath(res, namespace, body.metadata.name), { dryRun: "All", fieldManager: FIELD_MANAGER, force: true });
    return { body, send: () => client.requestJson("PATCH", path, { body, contentType: CONTENT_TYPE.apply }) };
  });
  if (statefulSet) {
    for (const g of grandchildren(statefulSet)) {
      writes.push({ body: g.object, send: () => client.requestJson("POST", withQuery(resourcePath(g.res, namespace), { dryRun: "All" }), { body: g.object }) });
    }
  }
  let sent = 0;
  for (const w of writes) {
    const key = JSON.stringify(w.body);
    if (accepted.has(key)) continue;
    sent++;
    try {
      await w.send();
      accepted.add(key);
    } catch (err) {
      refusals.push({ case: c, child: `${w.body.kind}/${w.body.metadata.name}`, message: errorText(err) });
    }
  }
  return { admitted: true, rendered: statefulSet !== undefined, children: sent, refusals };
}

/**
 * Children already accepted in this run, as sent: many cases render identical Secrets, ConfigMaps and Services,
 * and the API server's answer to an identical dry-run write in the same namespace is the same.
 */
const accepted = new Set<string>();

async function pool<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: size }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  }));
  return results;
}

test(`no admitted hostile DittoServer renders a child the API server refuses (${CASES} cases, seed ${SEED})`, async (t) => {
  const cases = hostileSpecs(SEED, CASES);
  const started = performance.now();
  const results = await pool(cases, POOL, runCase);
  const seconds = (performance.now() - started) / 1000;
  const admitted = results.filter((r) => r.admitted).length;
  const rendered = results.filter((r) => r.rendered).length;
  const writes = results.reduce((n, r) => n + r.children, 0);
  const refusals = results.flatMap((r) => r.refusals);
  const refusedCases = results.filter((r) => r.refusals.length > 0).length;
  const summary = `${CASES} cases (seed ${SEED}): ${admitted} admitted, ${CASES - admitted} refused at admission; ` +
    `${rendered} rendered a StatefulSet; ${writes} distinct child dry-run writes; ${refusals.length} refused children in ${refusedCases} cases; ` +
    `${seconds.toFixed(1)} s (pool ${POOL})`;
  t.diagnostic(summary);
  console.log(summary);
  // Both outcomes must be common, or the generator has stopped probing the boundary.
  assert.ok(admitted > CASES * 0.15 && admitted < CASES * 0.85, `admitted ${admitted} of ${CASES}: the generator lost its mix`);
  assert.ok(rendered > admitted * 0.9, `only ${rendered} of ${admitted} admitted cases rendered a StatefulSet`);
  const shown = refusals.slice(0, 15).map((r) => `case ${r.case.index} [${r.case.aspects.join(", ")}] ${r.child}: ${r.message}\n  spec: ${JSON.stringify(r.case.spec).slice(0, 600)}`);
  assert.equal(refusals.length, 0, `children refused by the API server:\n${shown.join("\n")}`);
});
