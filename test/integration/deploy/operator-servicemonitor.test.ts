/**
 * The operator's own scrape setup: the Helm chart's and the kustomize components' ServiceMonitor and certificate
 * options render what the binary accepts (flags, mounted Secret) and pass the real ServiceMonitor CRD's schema
 * (server-side dry run, strict validation), for a self-signed certificate, a Secret's certificate and plain HTTP.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, it } from "node:test";
import { SERVICE_MONITORS } from "../../../src/dittoserver/kinds.ts";
import { parseOperatorFlags } from "../../../src/dittoserver/operator-flags.ts";
import { defaultFlags, parseManagerFlags } from "../../../src/runtime/flags.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { createTestNamespace, kubectl, kubectlOk } from "../../controlplane/testenv.ts";
import { installStandIns, removeStandIns } from "../dittoserver/stand-ins.ts";
import { find, helmTemplate, parseDocs, ROOT } from "./support.ts";

let ns: { name: string; delete(): Promise<void> };

before(async () => {
  ns = await createTestNamespace("deploy-smon");
  await removeStandIns([SERVICE_MONITORS]);
  await installStandIns([SERVICE_MONITORS]);
});

after(async () => {
  await removeStandIns([SERVICE_MONITORS]);
  await ns.delete();
});

interface Container { args: string[]; volumeMounts?: { name: string; mountPath: string }[] }
interface PodSpec { containers: Container[]; volumes?: { name: string; secret?: { secretName: string } }[] }
type Endpoint = { scheme: string; port: string; bearerTokenFile?: string; interval?: string; tlsConfig?: Record<string, unknown> };

const podSpecOf = (objects: KubeObject[]): PodSpec => (find(objects, "Deployment").spec as { template: { spec: PodSpec } }).template.spec;
const endpointOf = (objects: KubeObject[]): Endpoint => (find(objects, "ServiceMonitor").spec as { endpoints: Endpoint[] }).endpoints[0]!;
const flagsOf = (spec: PodSpec): ReturnType<typeof parseManagerFlags> => parseManagerFlags(parseOperatorFlags(spec.containers[0]!.args).rest, defaultFlags("dittofs-operator-lock"));

async function dryRunStrict(objects: KubeObject[], what: string): Promise<void> {
  const input = objects.filter((o) => o.kind === "ServiceMonitor").map((o) => JSON.stringify({ ...o, metadata: { ...o.metadata, namespace: ns.name } })).join("\n");
  assert.ok(input, `${what}: no ServiceMonitor rendered`);
  const r = await kubectl(["apply", "--server-side", "--dry-run=server", "--validate=strict", "--field-manager=deploy-test", "-f", "-"], { input });
  assert.equal(r.code, 0, `${what}: refused by the ServiceMonitor CRD:\n${r.stderr}`);
}

/** The cert-mount check shared by Helm and kustomize: the flag names the directory the Secret is mounted at. */
function assertCertMounted(spec: PodSpec, secretName: string, what: string): void {
  const dir = flagsOf(spec).metricsCertPath;
  const mount = spec.containers[0]!.volumeMounts?.find((m) => m.mountPath === dir);
  assert.ok(dir && mount, `${what}: --metrics-cert-path ${dir} is a mounted volume`);
  assert.equal(spec.volumes?.find((v) => v.name === mount.name)?.secret?.secretName, secretName, what);
}

it("Helm: HTTPS ServiceMonitor with the scraper's token, self-signed (not verified) or a Secret's certificate (verified); plain HTTP; all pass the CRD", async () => {
  const on = "metrics.serviceMonitor.enabled=true";
  const selfSigned = parseDocs(await helmTemplate(ns.name, [on, "metrics.serviceMonitor.interval=30s", "metrics.serviceMonitor.labels.release=prom"]));
  assert.equal(flagsOf(podSpecOf(selfSigned)).metricsCertPath, "");
  assert.deepEqual(endpointOf(selfSigned), { port: "metrics", path: "/metrics", interval: "30s", scheme: "https", bearerTokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token", tlsConfig: { insecureSkipVerify: true } });
  assert.equal(find(selfSigned, "ServiceMonitor").metadata.labels?.release, "prom");

  const withSecret = parseDocs(await helmTemplate(ns.name, [on, "metrics.certSecret=op-metrics-tls"]));
  assertCertMounted(podSpecOf(withSecret), "op-metrics-tls", "helm");
  assert.deepEqual(endpointOf(withSecret).tlsConfig, { serverName: `dittofs-operator-metrics.${ns.name}.svc`, ca: { secret: { name: "op-metrics-tls", key: "ca.crt" } } });

  const plain = parseDocs(await helmTemplate(ns.name, [on, "metrics.secure=false"]));
  assert.equal(flagsOf(podSpecOf(plain)).metricsSecure, false);
  assert.equal(endpointOf(plain).scheme, "http");

  for (const [what, objects] of [["self-signed", selfSigned], ["certSecret", withSecret], ["plain", plain]] as const) await dryRunStrict(objects, what);
  assert.equal(parseDocs(await helmTemplate(ns.name)).filter((o) => o.kind === "ServiceMonitor").length, 0, "off by default");
});

it("kustomize components prometheus and metrics-cert: verified HTTPS ServiceMonitor, Secret mounted; passes the CRD", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dittofs-components-"));
  try {
    const rel = (p: string): string => relative(dir, join(ROOT, p));
    writeFileSync(join(dir, "kustomization.yaml"), `resources:\n  - ${rel("deploy/base")}\ncomponents:\n  - ${rel("deploy/components/prometheus")}\n  - ${rel("deploy/components/metrics-cert")}\n`);
    const both = parseDocs(await kubectlOk(["kustomize", dir]));
    assertCertMounted(podSpecOf(both), "dittofs-operator-metrics-cert", "kustomize");
    const endpoint = endpointOf(both);
    assert.equal(endpoint.scheme, "https");
    assert.equal(endpoint.bearerTokenFile, "/var/run/secrets/kubernetes.io/serviceaccount/token");
    assert.deepEqual(endpoint.tlsConfig, { insecureSkipVerify: false, serverName: "dittofs-operator-metrics.dittofs-system.svc", ca: { secret: { name: "dittofs-operator-metrics-cert", key: "ca.crt" } } });
    assert.equal(find(both, "ServiceMonitor").metadata.namespace, "dittofs-system");
    await dryRunStrict(both, "kustomize");

    writeFileSync(join(dir, "kustomization.yaml"), `resources:\n  - ${rel("deploy/base")}\ncomponents:\n  - ${rel("deploy/components/prometheus")}\n`);
    const selfSigned = parseDocs(await kubectlOk(["kustomize", dir]));
    assert.deepEqual(endpointOf(selfSigned).tlsConfig, { insecureSkipVerify: true });
    await dryRunStrict(selfSigned, "kustomize self-signed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
