/**
 * Regenerates what is derived from the CRDs for humans and for Helm: docs/api-reference.md and the chart's copies
 * of the CRDs (Helm only installs CRDs from the chart's own crds/ directory). Run: npm run gen:docs
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CHART_CRD_DIR, CRD_DIR, crdFileName, CRDS, crdYaml } from "../src/api/crd.ts";
import { API_REFERENCE_FILE, renderApiReference } from "./api-reference.ts";

const path = (file: string): string => fileURLToPath(new URL(`../${file}`, import.meta.url));
writeFileSync(path(API_REFERENCE_FILE), renderApiReference());
console.log(`wrote ${API_REFERENCE_FILE}`);
// From the schemas, not from deploy/crds: both stay equal to what `npm run gen:crd` writes.
for (const crd of CRDS) {
  writeFileSync(path(`${CHART_CRD_DIR}/${crdFileName(crd)}`), crdYaml(crd));
  console.log(`wrote ${CHART_CRD_DIR}/${crdFileName(crd)} (same content as ${CRD_DIR}/${crdFileName(crd)})`);
}
