/**
 * A DittoServer's life on the real control plane (kwok: pods become Ready without running): create → children
 * → Ready; config change rolls the pod, a Service annotation does not; referenced Secret rotation rolls it, its
 * deletion is reported and recovered from; scale to 0 and back; an unchanged object is reconciled without writes.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { withDefaults } from "../../../src/api/defaulting.ts";
import { containsFields } from "../../../src/dittoserver/drift.ts";
import { DITTOSERVERS } from "../../../src/dittoserver/kinds.ts";
import { CONFIG_HASH_ANNOTATION } from "../../../src/dittoserver/names.ts";
import { desiredStatefulSet } from "../../../src/dittoserver/statefulset.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { createTestNamespace, kubectl, waitFor } from "../../controlplane/testenv.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, condition, deleteAllServers, dittoServer, eventsFor, getServer, installCrd, pod, startOperator, waitForCondition, waitForEvent, waitForPhase } from "./support.ts";

type Json = Record<string, unknown>;
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;
const NAME = "fs1";

async function podUid(): Promise<string> {
  return waitFor("pod fs1-0 Ready", async () => {
    const p = await pod(client, ns.name, NAME);
    const ready = ((p?.status as Json | undefined)?.conditions as { type: string; status: string }[] | undefined)?.some((c) => c.type === "Ready" && c.status === "True");
    return ready && !p?.metadata.deletionTimestamp ? (p?.metadata.uid ?? undefined) : undefined;
  }, { timeoutMs: 60_000, intervalMs: 200 });
}

async function templateHash(): Promise<string | undefined> {
  const sts = await client.get(CORE.statefulSets, { namespace: ns.name, name: NAME });
  return ((((sts.spec as Json).template as Json).metadata as Json).annotations as Record<string, string>)[CONFIG_HASH_ANNOTATION];
}

async function waitForNewPod(oldUid: string): Promise<string> {
  return waitFor("a new pod", async () => {
    const uid = await podUid().catch(() => undefined);
    return uid && uid !== oldUid ? uid : undefined;
  }, { timeoutMs: 60_000, intervalMs: 250 });
}

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-lifecycle");
  operator = await startOperator(ns.name);
});

after(async () => {
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await ns.delete();
  await client.close();
});

describe("DittoServer lifecycle", { concurrency: false }, () => {
  let created: Date;
  it("creates the children and becomes Ready", async () => {
    created = new Date();
    await client.create(DITTOSERVERS, dittoServer(ns.name, NAME, { storage: { metadataSize: "1Gi" }, identity: { jwt: { secretRef: { name: "jwt", key: "secret" } } } }));
    await client.create(CORE.secrets, { apiVersion: "v1", kind: "Secret", metadata: { name: "jwt", namespace: ns.name }, stringData: { secret: "a".repeat(40) } } as KubeObject);
    const server = await waitForCondition(client, ns.name, NAME, "Ready", "True", "ServerReady");
    console.log(`time to Ready: ${((Date.now() - created.getTime()) / 1000).toFixed(1)} s`);
    assert.equal(server.status?.phase, "Running");
    assert.equal(server.status?.ready, "1/1");
    // kwok pods run no DittoFS API: the adapter list stays unknown, so no adapter Service yet, and no <name>-file.
    assert.equal(server.status?.nfsEndpoint, `${NAME}-adapter-nfs.${ns.name}.svc.cluster.local:12049`);
    for (const t of ["ConfigReady", "Available"]) assert.equal(condition(server.status, t)?.status, "True", t);
    assert.equal(condition(server.status, "Progressing")?.reason, "RolloutComplete");
    assert.equal(condition(server.status, "Degraded")?.reason, "AsExpected");

    for (const [res, name] of [[CORE.configMaps, `${NAME}-config`], [CORE.services, `${NAME}-headless`], [CORE.services, `${NAME}-api`], [CORE.secrets, `${NAME}-admin-bootstrap-credentials`]] as const) {
      const child = await client.get(res, { namespace: ns.name, name });
      assert.equal(child.metadata.ownerReferences?.[0]?.uid, server.metadata.uid, `${name} is owned`);
    }
    assert.equal(await client.getOrUndefined(CORE.services, { namespace: ns.name, name: `${NAME}-file` }), undefined, "a new server gets no <name>-file");
    // The generated JWT Secret is not created: the spec references the user's.
    assert.equal(await client.getOrUndefined(CORE.secrets, { namespace: ns.name, name: `${NAME}-jwt-secret` }), undefined);

    // The StatefulSet carries exactly what the pure builder renders (probes, ports, volumes, security context).
    const sts = await client.get(CORE.statefulSets, { namespace: ns.name, name: NAME });
    const expected = desiredStatefulSet(withDefaults(server), server.status?.configHash ?? "");
    assert.ok(containsFields(sts.spec, expected.spec), "StatefulSet spec matches the builder");
    const p = await pod(client, ns.name, NAME);
    const container = ((p?.spec as Json).containers as Json[])[0]!;
    const probe = (path: string, extra: Json): Json => ({ httpGet: { path, port: "api", scheme: "HTTP" }, timeoutSeconds: 5, successThreshold: 1, ...extra });
    assert.deepEqual(container.ports, [
      { name: "api", containerPort: 8080, protocol: "TCP" },
      { name: "nfs", containerPort: 12049, protocol: "TCP" },
      { name: "smb", containerPort: 1445, protocol: "TCP" },
    ]);
    assert.deepEqual(container.readinessProbe, probe("/health/ready", { initialDelaySeconds: 10, periodSeconds: 5, failureThreshold: 3 }));
    assert.deepEqual(container.livenessProbe, probe("/health", { initialDelaySeconds: 15, periodSeconds: 10, failureThreshold: 3 }));
    assert.deepEqual(container.startupProbe, probe("/health", { periodSeconds: 5, failureThreshold: 30 }));
    assert.deepEqual(container.securityContext, { capabilities: { drop: ["ALL"] }, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, seccompProfile: { type: "RuntimeDefault" } });
    assert.deepEqual((p?.spec as Json).securityContext, { runAsUser: 65532, runAsGroup: 65532, runAsNonRoot: true, fsGroup: 65532, fsGroupChangePolicy: "OnRootMismatch", seccompProfile: { type: "RuntimeDefault" } });
    // The StatefulSet controller adds the claim volumes iterating over a Go map: their order varies between pods.
    const byName = (volumes: Json[]): Json[] => [...volumes].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    assert.deepEqual(byName((p?.spec as Json).volumes as Json[]), byName([
      { name: "metadata", persistentVolumeClaim: { claimName: `metadata-${NAME}-0` } },
      { name: "controlplane", persistentVolumeClaim: { claimName: `controlplane-${NAME}-0` } },
      { name: "config", configMap: { name: `${NAME}-config`, items: [{ key: "config.yaml", path: "config.yaml" }], defaultMode: 420 } },
      { name: "tmp", emptyDir: {} },
    ]));
    assert.deepEqual(container.volumeMounts, [
      { name: "config", readOnly: true, mountPath: "/config" },
      { name: "tmp", mountPath: "/tmp" },
      { name: "metadata", mountPath: "/data/metadata" },
      { name: "controlplane", mountPath: "/data/controlplane" },
    ]);

    const events = (await eventsFor(client, ns.name, NAME)).map((e) => e.reason);
    for (const r of ["FinalizerAdded", "ChildrenCreated", "Available"]) assert.ok(events.includes(r), `event ${r} in ${events.join(",")}`);

    const table = await kubectl(["get", "dittoservers", NAME], { namespace: ns.name });
    assert.equal(table.code, 0, table.stderr);
    const [header, row] = table.stdout.trim().split("\n");
    assert.match(header ?? "", /NAME\s+READY\s+STATUS/);
    assert.match(row ?? "", new RegExp(`^${NAME}\\s+1/1\\s+Running`));
  });

  it("reconciles the unchanged object without a single write", async () => {
    await sleep(1_000); // let the last status write and events settle
    const before = await operator.writes();
    const N = 20;
    for (let i = 0; i < N; i++) {
      operator.controller.queue.add(`${ns.name}/${NAME}`);
      await sleep(100);
    }
    await sleep(1_000);
    const writes = (await operator.writes()) - before;
    console.log(`writes for ${N} reconciles of an unchanged DittoServer: ${writes}`);
    assert.equal(writes, 0);
  });

  it("rolls the pod when the logging level changes (config hash), not when Service annotations change", async () => {
    const uid = await podUid();
    const hash = await templateHash();
    const before = await getServer(client, ns.name, NAME);
    await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: NAME }, { spec: { service: { annotations: { "example.com/team": "storage" } } } });
    await waitFor("api Service annotated", async () => {
      const svc = await client.get(CORE.services, { namespace: ns.name, name: `${NAME}-api` });
      return svc.metadata.annotations?.["example.com/team"] === "storage" ? true : undefined;
    }, { timeoutMs: 20_000 });
    await sleep(1_000);
    assert.equal(await templateHash(), hash, "template hash unchanged");
    assert.equal(await podUid(), uid, "same pod");

    await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: NAME }, { spec: { logging: { level: "DEBUG" } } });
    const newUid = await waitForNewPod(uid);
    assert.notEqual(newUid, uid);
    assert.notEqual(await templateHash(), hash);
    const cm = await client.get(CORE.configMaps, { namespace: ns.name, name: `${NAME}-config` });
    assert.match(String((cm.data as Record<string, string>)["config.yaml"]), /level: DEBUG/);
    const server = await waitForCondition(client, ns.name, NAME, "Ready", "True");
    assert.notEqual(server.status?.configHash, before.status?.configHash);
    assert.equal(server.status?.configHash, await templateHash());
    await waitForEvent(client, ns.name, NAME, "ConfigChanged");
    await waitForEvent(client, ns.name, NAME, "RolloutComplete");
  });

  it("rolls the pod when a referenced Secret rotates; reports its deletion and recovers", async () => {
    const uid = await podUid();
    await client.mergePatch(CORE.secrets, { namespace: ns.name, name: "jwt" }, { stringData: { secret: "b".repeat(40) } });
    const rotated = await waitForNewPod(uid);
    await waitForEvent(client, ns.name, NAME, "SecretRotated");
    await waitForCondition(client, ns.name, NAME, "Ready", "True");

    await client.delete(CORE.secrets, { namespace: ns.name, name: "jwt" });
    const broken = await waitForCondition(client, ns.name, NAME, "ConfigReady", "False", "SecretNotFound");
    assert.match(condition(broken.status, "ConfigReady")?.message ?? "", /Secret jwt/);
    assert.equal(broken.status?.phase, "Failed");
    assert.equal(condition(broken.status, "Ready")?.reason, "ConfigNotReady");
    assert.equal(condition(broken.status, "Progressing")?.reason, "Blocked");
    const warning = await waitForEvent(client, ns.name, NAME, "SecretNotFound");
    assert.equal(warning.type, "Warning");
    assert.equal(await podUid(), rotated, "the old pod keeps serving while blocked");

    await client.create(CORE.secrets, { apiVersion: "v1", kind: "Secret", metadata: { name: "jwt", namespace: ns.name }, stringData: { secret: "b".repeat(40) } } as KubeObject);
    const healed = await waitForCondition(client, ns.name, NAME, "Ready", "True");
    assert.equal(healed.status?.phase, "Running");
    assert.equal(await podUid(), rotated, "same value again: no rollout");
  });

  it("scales to 0 (Stopped) and back (Running)", async () => {
    await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: NAME }, { spec: { replicas: 0 } });
    const stopped = await waitForPhase(client, ns.name, NAME, "Stopped");
    await waitFor("pod gone", async () => ((await pod(client, ns.name, NAME)) ? undefined : true), { timeoutMs: 30_000 });
    const finalStop = await waitForCondition(client, ns.name, NAME, "Ready", "True");
    assert.equal(condition(finalStop.status, "Available")?.reason, "ScaledToZero");
    assert.equal(stopped.status?.replicas, 0);
    await waitForEvent(client, ns.name, NAME, "Scaled");

    await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: NAME }, { spec: { replicas: 1 } });
    await waitForPhase(client, ns.name, NAME, "Running");
    const back = await waitForCondition(client, ns.name, NAME, "Ready", "True");
    assert.equal(back.status?.ready, "1/1");
    const reasons = (await eventsFor(client, ns.name, NAME)).map((e) => e.reason);
    assert.ok(reasons.includes("Unavailable"), `Unavailable in ${reasons.join(",")}`);
  });

  it("deletes the metrics Service when metrics are turned off again", async () => {
    await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: NAME }, { spec: { metrics: { enabled: true } } });
    await waitFor("metrics Service", () => client.getOrUndefined(CORE.services, { namespace: ns.name, name: `${NAME}-metrics` }), { timeoutMs: 20_000 });
    await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: NAME }, { spec: { metrics: { enabled: false } } });
    await waitFor("metrics Service deleted", async () => ((await client.getOrUndefined(CORE.services, { namespace: ns.name, name: `${NAME}-metrics` })) ? undefined : true), { timeoutMs: 20_000 });
    assert.match((await waitForEvent(client, ns.name, NAME, "ChildrenDeleted")).note, new RegExp(`Service/${NAME}-metrics`));
    await waitForCondition(client, ns.name, NAME, "Ready", "True");
  });

  // Last: the CRD refuses the shrink that would revert it.
  it("refuses a volume growth the StorageClass cannot make and keeps the pod", async () => {
    const uid = await podUid();
    await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: NAME }, { spec: { storage: { metadataSize: "2Gi" } } });
    const refused = await waitForCondition(client, ns.name, NAME, "ConfigReady", "False", "StorageChangeRefused");
    assert.match(condition(refused.status, "ConfigReady")?.message ?? "", /cannot grow from 1Gi to 2Gi/);
    assert.equal(refused.status?.phase, "Failed");
    assert.equal((await waitForEvent(client, ns.name, NAME, "StorageChangeRefused")).type, "Warning");
    assert.equal(condition(refused.status, "Progressing")?.reason, "Blocked");
    assert.equal(await podUid(), uid, "the old pod keeps serving");
    const sts = await client.get(CORE.statefulSets, { namespace: ns.name, name: NAME });
    const claim = ((sts.spec as Json).volumeClaimTemplates as Json[])[0]!;
    assert.equal((((claim.spec as Json).resources as Json).requests as Json).storage, "1Gi", "claim templates untouched");
  });
});
