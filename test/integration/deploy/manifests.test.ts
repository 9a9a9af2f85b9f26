/**
 * The shipped install manifests against the real API server: kustomize base and Helm chart are accepted by a
 * server-side dry run, agree with each other and with the operator version, and both the operator pod and a
 * DittoFS pod are admitted under Pod Security `restricted`.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { CHART_CRD_DIR, CRD_DIR, crdFileName, CRDS } from "../../../src/api/crd.ts";
import { withDefaults } from "../../../src/api/defaulting.ts";
import { parseOperatorFlags } from "../../../src/dittoserver/operator-flags.ts";
import { desiredStatefulSet } from "../../../src/dittoserver/statefulset.ts";
import { defaultFlags, parseManagerFlags } from "../../../src/runtime/flags.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { OPERATOR_VERSION } from "../../../src/version.ts";
import { createTestNamespace, kubectl } from "../../controlplane/testenv.ts";
import { CHART, find, helmTemplate, kustomizeBase, kustomizeDefault, kustomizeInto, parseDocs, podFrom, ROOT } from "./support.ts";

type PodTemplate = { metadata?: object; spec?: { containers?: { image?: string; args?: string[] }[]; volumes?: object[] } };
const templateOf = (workload: KubeObject): PodTemplate => (workload.spec as { template: PodTemplate }).template;

async function dryRunApply(objects: KubeObject[]): Promise<void> {
  const input = objects.map((o) => JSON.stringify(o)).join("\n");
  const r = await kubectl(["apply", "--server-side", "--dry-run=server", "--field-manager=deploy-test", "-f", "-"], { input });
  assert.equal(r.code, 0, `server-side dry run rejected the manifests:\n${r.stderr}`);
}

async function dryRunCreate(obj: KubeObject): Promise<{ code: number; stderr: string }> {
  return kubectl(["create", "--dry-run=server", "-f", "-"], { input: JSON.stringify(obj) });
}

describe("install manifests", () => {
  let ns: { name: string; delete(): Promise<void> };
  let restricted: { name: string; delete(): Promise<void> };
  before(async () => {
    ns = await createTestNamespace("deploy");
    restricted = await createTestNamespace("deploy-restricted", { "pod-security.kubernetes.io/enforce": "restricted" });
    // Pods name their ServiceAccount; admission looks it up even in a dry run.
    const sa = await kubectl(["create", "serviceaccount", "dittofs-operator"], { namespace: restricted.name });
    assert.equal(sa.code, 0, sa.stderr);
  });
  after(async () => {
    await ns.delete();
    await restricted.delete();
  });

  it("kustomize base: namespace dittofs-system, image pinned to the operator version, dry run accepted", async () => {
    const objects = parseDocs(await kustomizeBase());
    const deployment = find(objects, "Deployment", "dittofs-operator");
    assert.equal(deployment.metadata.namespace, "dittofs-system");
    assert.equal(templateOf(deployment).spec?.containers?.[0]?.image, `dittofs-operator:${OPERATOR_VERSION}`);
    find(objects, "CustomResourceDefinition", "dittoservers.dittofs.dittofs.com");
    const moved = parseDocs(await kustomizeInto(ns.name)).filter((o) => o.kind !== "Namespace");
    await dryRunApply(moved);
  });

  it("Helm chart: appVersion and default image tag follow the operator version; dry run accepted", async () => {
    const chart = parse(readFileSync(join(CHART, "Chart.yaml"), "utf8")) as { appVersion: string; version: string };
    assert.equal(chart.appVersion, OPERATOR_VERSION);
    const objects = parseDocs(await helmTemplate(ns.name));
    assert.equal(templateOf(find(objects, "Deployment")).spec?.containers?.[0]?.image, `dittofs-operator:${OPERATOR_VERSION}`);
    await dryRunApply(objects);
  });

  it("Helm chart renders its values: watchNamespace, logLevel, metrics off, scheduling", async () => {
    const objects = parseDocs(await helmTemplate(ns.name, ["watchNamespace=team-a", "logLevel=debug", "metrics.enabled=false", "nodeSelector.disk=ssd", "replicaCount=1", "leaderElection.enabled=false"]));
    const spec = templateOf(find(objects, "Deployment")).spec as { containers: { args: string[] }[]; nodeSelector?: Record<string, string> };
    const args = spec.containers[0]!.args;
    assert.ok(args.includes("--namespace=team-a"), args.join(" "));
    assert.ok(args.includes("--log-level=debug"), args.join(" "));
    assert.ok(args.includes("--metrics-bind-address=0"), args.join(" "));
    assert.ok(!args.includes("--leader-elect"), args.join(" "));
    assert.deepEqual(spec.nodeSelector, { disk: "ssd" });
    assert.equal(objects.filter((o) => o.kind === "Service" || o.kind === "Role").length, 0, "no metrics Service, no lease Role");
  });

  it("Helm refuses several replicas without leader election", async () => {
    await assert.rejects(helmTemplate(ns.name, ["replicaCount=2", "leaderElection.enabled=false"]), /leaderElection/);
  });

  it("chart and kustomize ship the same ClusterRole rules and the same CRDs", async () => {
    const fromKustomize = find(parseDocs(await kustomizeBase()), "ClusterRole", "dittofs-operator") as KubeObject & { rules: unknown };
    const fromHelm = find(parseDocs(await helmTemplate(ns.name)), "ClusterRole", "dittofs-operator") as KubeObject & { rules: unknown };
    assert.deepEqual(fromHelm.rules, fromKustomize.rules);
    const reader = (objects: KubeObject[], name: string): unknown => (find(objects, "ClusterRole", name) as KubeObject & { rules: unknown }).rules;
    const readerRules = reader(parseDocs(await kustomizeBase()), "dittofs-operator-metrics-reader");
    assert.deepEqual(readerRules, [{ nonResourceURLs: ["/metrics"], verbs: ["get"] }]);
    assert.deepEqual(reader(parseDocs(await helmTemplate(ns.name)), "dittofs-operator-metrics-reader"), readerRules);
    const json = JSON.stringify(fromKustomize.rules);
    assert.ok(!json.includes('"*"'), "no wildcard in the ClusterRole");
    for (const crd of CRDS) {
      const inChart = readFileSync(join(ROOT, CHART_CRD_DIR, crdFileName(crd)), "utf8");
      const generated = readFileSync(join(ROOT, CRD_DIR, crdFileName(crd)), "utf8");
      assert.ok(inChart === generated, `${CHART_CRD_DIR}/${crdFileName(crd)} is stale: run npm run gen:docs (it copies deploy/crds into the chart)`);
    }
  });

  it("the finalizer admission policy: deploy/default and the chart (where the API exists) ship the same, cluster-scoped, accepted", async () => {
    const MAP = "admissionregistration.k8s.io/v1/MutatingAdmissionPolicy";
    const full = parseDocs(await kustomizeDefault());
    const base = parseDocs(await kustomizeBase());
    const key = (o: KubeObject) => `${o.kind}/${o.metadata.name ?? ""}`;
    assert.deepEqual(full.filter((o) => !o.kind.startsWith("MutatingAdmissionPolicy")).map(key), base.map(key), "deploy/default is deploy/base plus the policy");
    const policy = find(full, "MutatingAdmissionPolicy", "dittofs-operator-finalizer");
    const binding = find(full, "MutatingAdmissionPolicyBinding", "dittofs-operator-finalizer");
    assert.equal(policy.metadata.namespace, undefined, "cluster-scoped: no namespace");
    assert.equal(binding.metadata.namespace, undefined, "cluster-scoped: no namespace");
    assert.equal((binding.spec as { policyName: string }).policyName, policy.metadata.name);

    assert.equal(parseDocs(await helmTemplate(ns.name)).filter((o) => o.kind.startsWith("MutatingAdmissionPolicy")).length, 0, "not rendered where the API is unknown");
    const fromHelm = parseDocs(await helmTemplate(ns.name, [], [MAP]));
    assert.deepEqual(find(fromHelm, "MutatingAdmissionPolicy", "dittofs-operator-finalizer").spec, policy.spec);
    assert.deepEqual(find(fromHelm, "MutatingAdmissionPolicyBinding", "dittofs-operator-finalizer").spec, binding.spec);
    assert.equal(parseDocs(await helmTemplate(ns.name, ["finalizerPolicy.enabled=false"], [MAP])).filter((o) => o.kind.startsWith("MutatingAdmissionPolicy")).length, 0);
    await dryRunApply([policy, binding]);
  });

  it("the operator pod (kustomize and Helm) is admitted under Pod Security restricted", async () => {
    for (const [source, objects] of [["kustomize", parseDocs(await kustomizeBase())], ["helm", parseDocs(await helmTemplate(restricted.name))]] as const) {
      const pod = podFrom(templateOf(find(objects, "Deployment")), `operator-${source}`, restricted.name);
      const r = await dryRunCreate(pod);
      assert.equal(r.code, 0, `${source} operator pod rejected:\n${r.stderr}`);
    }
  });

  it("operator Deployment (kustomize and Helm): flags the binary accepts, 2 replicas with leader election, probes, hardening", async () => {
    for (const [source, objects] of [["kustomize", parseDocs(await kustomizeBase())], ["helm", parseDocs(await helmTemplate(ns.name))]] as const) {
      const deployment = find(objects, "Deployment") as KubeObject & { spec: { replicas: number; template: { spec: { containers: Record<string, unknown>[] } } } };
      assert.equal(deployment.spec.replicas, 2, source);
      const container = deployment.spec.template.spec.containers[0] as {
        args: string[];
        env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
        livenessProbe: { httpGet: { path: string; port: string } };
        readinessProbe: { httpGet: { path: string; port: string } };
        ports: { name: string; containerPort: number }[];
        securityContext: { readOnlyRootFilesystem?: boolean };
        resources: { requests?: object; limits?: object };
      };
      // The same parsers as src/main.ts: a misspelt flag in the manifests fails here, not in a crash-looping pod.
      const flags = parseManagerFlags(parseOperatorFlags(container.args).rest, defaultFlags("dittofs-operator-lock"));
      assert.equal(flags.leaderElect, true, source);
      // Secure metrics on the container's metrics port.
      assert.equal(flags.metricsSecure, true, source);
      assert.equal(flags.metricsBindAddress, `:${String(container.ports.find((p) => p.name === "metrics")?.containerPort)}`, source);
      const probePort = container.ports.find((p) => p.name === "probes")?.containerPort;
      assert.equal(flags.healthProbeBindAddress, `:${String(probePort)}`, source);
      assert.deepEqual([container.livenessProbe.httpGet, container.readinessProbe.httpGet], [{ path: "/healthz", port: "probes" }, { path: "/readyz", port: "probes" }], source);
      assert.equal(container.securityContext.readOnlyRootFilesystem, true, source);
      assert.ok(container.resources.requests && container.resources.limits, `${source}: resources`);
      assert.deepEqual(container.env.find((e) => e.name === "POD_NAMESPACE")?.valueFrom, { fieldRef: { fieldPath: "metadata.namespace" } }, source);
      assert.deepEqual(container.env.find((e) => e.name === "POD_NAME")?.valueFrom, { fieldRef: { fieldPath: "metadata.name" } }, `${source}: the stable leader identity`);
      const service = find(objects, "Service");
      assert.deepEqual((service.spec as { ports: { targetPort: string }[] }).ports.map((p) => p.targetPort), ["metrics"], source);
    }
  });

  it("a DittoFS file-server pod is admitted under Pod Security restricted", async () => {
    const sample = parse(readFileSync(join(ROOT, "deploy/samples/dittoserver-minimal.yaml"), "utf8")) as KubeObject;
    const server = withDefaults({ ...sample, metadata: { ...sample.metadata, namespace: restricted.name, uid: "00000000-0000-0000-0000-000000000001" } });
    const sts = desiredStatefulSet(server, "hash");
    const template = templateOf(sts);
    // A StatefulSet pod gets one volume per claim template; add them as the StatefulSet controller would.
    const claims = ((sts.spec as { volumeClaimTemplates?: KubeObject[] }).volumeClaimTemplates ?? []).map((c) => ({
      name: c.metadata.name,
      persistentVolumeClaim: { claimName: `${c.metadata.name ?? ""}-${sts.metadata.name ?? ""}-0` },
    }));
    const pod = podFrom({ ...template, spec: { ...template.spec, volumes: [...(template.spec?.volumes ?? []), ...claims] } }, "dittofs-0", restricted.name);
    (pod.spec as { serviceAccountName?: string }).serviceAccountName = "dittofs-operator";
    const r = await dryRunCreate(pod);
    assert.equal(r.code, 0, `DittoFS pod rejected:\n${r.stderr}`);
  });

  it("a privileged pod is rejected in that namespace (the admission check is live)", async () => {
    const pod: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "privileged", namespace: restricted.name }, spec: { containers: [{ name: "c", image: "busybox", securityContext: { privileged: true } }] } };
    const r = await dryRunCreate(pod);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /violates PodSecurity "restricted/);
  });
});
