/**
 * What every operator benchmark does before its scenarios (scale, faults): build `dist/` as the image ships it,
 * install the CRD and the shipped finalizer admission policy on a private control plane, and make clients that
 * authenticate as their own users (so the audit log tells the operator's requests from the bench's).
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import { FINALIZER } from "../../src/api/constants.ts";
import { CRD_DIR, crdFileName, crdName, CRDS as OPERATOR_CRDS } from "../../src/api/crd.ts";
import { KubeClient, loadKubeConfig } from "../../src/runtime/client.ts";
import type { KubeObject } from "../../src/runtime/objects.ts";
import type { ResourceType } from "../../src/runtime/resources.ts";
import { renderKubeconfig, signClientCertificate } from "../../test/controlplane/index.ts";
import type { ControlPlane } from "../../test/controlplane/index.ts";
import { runCommand } from "../../test/controlplane/run.ts";
import { sleep } from "../scale/proc.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const CRDS: ResourceType = { group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions", kind: "CustomResourceDefinition", namespaced: false };
const ADMISSION_FILE = "deploy/admission/finalizer-policy.yaml";
const admission = (plural: string, kind: string): ResourceType => ({ group: "admissionregistration.k8s.io", version: "v1", plural, kind, namespaced: false });

/** `npm run build`: the benchmarks run `dist/main.js` as the image does. */
export async function buildDist(): Promise<void> {
  const build = await runCommand(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.build.json")]);
  if (build.code !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
}

/** Every CRD the operator ships (it watches all its kinds), each Established. */
export async function installCrd(admin: KubeClient): Promise<void> {
  for (const decl of OPERATOR_CRDS) {
    const crd = parse(await readFile(join(ROOT, CRD_DIR, crdFileName(decl)), "utf8")) as KubeObject;
    await admin.apply(CRDS, crd);
  }
  for (const name of OPERATOR_CRDS.map(crdName)) await established(admin, name);
}

async function established(admin: KubeClient, name: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const got = await admin.get(CRDS, { name });
    const conditions = (got.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
    if (conditions.some((c) => c.type === "Established" && c.status === "True")) return;
    await sleep(200);
  }
  throw new Error(`CRD ${name} not Established within 30 s`);
}

/** The shipped finalizer policy, as `deploy/default` installs it; waits until DittoServer creates come back mutated. */
export async function installFinalizerPolicy(admin: KubeClient, cp: ControlPlane): Promise<void> {
  const docs = parseAllDocuments(await readFile(join(ROOT, ADMISSION_FILE), "utf8")).map((d) => d.toJSON() as KubeObject);
  for (const obj of docs) await admin.apply(admission(obj.kind === "MutatingAdmissionPolicy" ? "mutatingadmissionpolicies" : "mutatingadmissionpolicybindings", obj.kind), obj);
  const probe = JSON.stringify({ apiVersion: "dittofs.dittofs.com/v1alpha1", kind: "DittoServer", metadata: { name: "probe", namespace: "default" }, spec: { storage: { metadataSize: "1Gi" } } });
  for (let i = 0; i < 150; i++) {
    const r = await runCommand(join(cp.binDir, "kubectl"), ["--kubeconfig", cp.kubeconfigPath, "create", "--dry-run=server", "-o", "json", "-f", "-"], { input: probe });
    if (r.code === 0 && ((JSON.parse(r.stdout) as KubeObject).metadata.finalizers ?? []).includes(FINALIZER)) return;
    await sleep(200);
  }
  throw new Error(`the policy of ${ADMISSION_FILE} did not take effect within 30 s`);
}

/** A kubeconfig and client for `user` (a client certificate of the cluster CA, group system:masters). */
export async function clientAs(cp: ControlPlane, dir: string, user: string): Promise<{ kubeconfigPath: string; client: KubeClient }> {
  const cert = await signClientCertificate({ caCertPath: cp.caCertPath, caKeyPath: cp.caKeyPath, dir, commonName: user, groups: ["system:masters"] });
  const kubeconfigPath = join(dir, `${user}.kubeconfig`);
  await writeFile(kubeconfigPath, renderKubeconfig({ server: cp.apiServerUrl, caCertPath: cp.caCertPath, credentials: { clientCertPath: cert.certPath, clientKeyPath: cert.keyPath } }), { mode: 0o600 });
  return { kubeconfigPath, client: new KubeClient(loadKubeConfig(kubeconfigPath), { fieldManager: user }) };
}
