/** Writes every CRD generated from the TypeBox schemas, and the kustomization listing them. Run: npm run gen:crd */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CRD_DIR, crdFileName, crdKustomizationYaml, CRDS, crdYaml } from "../src/api/crd.ts";

const path = (file: string): string => fileURLToPath(new URL(`../${CRD_DIR}/${file}`, import.meta.url));
for (const crd of CRDS) {
  writeFileSync(path(crdFileName(crd)), crdYaml(crd));
  console.log(`wrote ${CRD_DIR}/${crdFileName(crd)}`);
}
writeFileSync(path("kustomization.yaml"), crdKustomizationYaml());
console.log(`wrote ${CRD_DIR}/kustomization.yaml`);
