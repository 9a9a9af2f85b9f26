/**
 * Rendering of the shipped install manifests for the deploy tests: `kubectl kustomize` of deploy/base (through a
 * throw-away overlay that moves it into the test namespace) and `helm template` of the chart.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { runCommand as run } from "../../controlplane/run.ts";
import { kubectl } from "../../controlplane/testenv.ts";

export const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
export const CHART = join(ROOT, "charts/dittofs-operator");

export { run };

export function parseDocs(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

async function ok(p: Promise<{ code: number; stdout: string; stderr: string }>, what: string): Promise<string> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** `kubectl kustomize deploy/base` as is (namespace dittofs-system). */
export async function kustomizeBase(): Promise<string> {
  return ok(kubectl(["kustomize", join(ROOT, "deploy/base")]), "kubectl kustomize deploy/base");
}

/** `kubectl kustomize deploy/default`: deploy/base plus the admission policy of deploy/admission. */
export async function kustomizeDefault(): Promise<string> {
  return ok(kubectl(["kustomize", join(ROOT, "deploy/default")]), "kubectl kustomize deploy/default");
}

/** deploy/base moved into `namespace` by an overlay, binding subjects included (see docs/install.md). */
export async function kustomizeInto(namespace: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "dittofs-kustomize-"));
  try {
    writeFileSync(join(dir, "kustomization.yaml"), [
      "resources:",
      `  - ${relative(dir, join(ROOT, "deploy/base"))}`,
      // A plain `namespace:` leaves the binding subjects in dittofs-system; this form moves them too.
      "transformers:",
      "  - |-",
      "    apiVersion: builtin",
      "    kind: NamespaceTransformer",
      "    metadata:",
      "      name: move",
      `      namespace: ${namespace}`,
      "    setRoleBindingSubjects: allServiceAccounts",
      "",
    ].join("\n"));
    return await ok(kubectl(["kustomize", dir]), "kubectl kustomize overlay");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let helmPath: Promise<string> | undefined;
/** helm from `hack/build-binaries.sh --helm` (built once into its own cache directory). */
export function helm(): Promise<string> {
  helmPath ??= ok(run("bash", [join(ROOT, "hack/build-binaries.sh"), "--helm"]), "building helm").then((s) => s.trim());
  return helmPath;
}

/** `apiVersions`: what `helm template` assumes the cluster serves beyond its built-in list (`group/version/Kind`). */
export async function helmTemplate(namespace: string, sets: string[] = [], apiVersions: string[] = []): Promise<string> {
  const bin = await helm();
  const args = ["template", "dittofs-operator", CHART, "--namespace", namespace, ...sets.flatMap((s) => ["--set", s]), ...apiVersions.flatMap((a) => ["--api-versions", a])];
  return ok(run(bin, args), "helm template");
}

/** A Pod from a workload's pod template, for a server-side dry-run under Pod Security admission. */
export function podFrom(template: { metadata?: object; spec?: object }, name: string, namespace: string): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { ...(template.metadata ?? {}), name, namespace }, spec: template.spec };
}

export function find(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ""} among ${objects.map((o) => `${o.kind}/${o.metadata.name ?? ""}`).join(", ")}`);
  return found;
}
