/**
 * Regenerates what is derived from the CRD for humans and for Helm: docs/api-reference.md and the chart's copy of
 * the CRD (Helm only installs CRDs from the chart's own crds/ directory). Run: npm run gen:docs
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CRD_FILE, dittoServerCRDYaml } from "../src/api/crd.ts";
import { API_REFERENCE_FILE, renderApiReference } from "./api-reference.ts";

export const CHART_CRD_FILE = "charts/dittofs-operator/crds/dittofs.dittofs.com_dittoservers.yaml";

const path = (file: string): string => fileURLToPath(new URL(`../${file}`, import.meta.url));
writeFileSync(path(API_REFERENCE_FILE), renderApiReference());
console.log(`wrote ${API_REFERENCE_FILE}`);
// From the schema, not from deploy/crds: both stay equal to what `npm run gen:crd` writes.
writeFileSync(path(CHART_CRD_FILE), dittoServerCRDYaml());
console.log(`wrote ${CHART_CRD_FILE} (same content as ${CRD_FILE})`);
