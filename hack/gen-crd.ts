/** Writes the DittoServer CRD generated from the TypeBox schema. Run: npm run gen:crd */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CRD_FILE, dittoServerCRDYaml } from "../src/api/crd.ts";

const target = fileURLToPath(new URL(`../${CRD_FILE}`, import.meta.url));
writeFileSync(target, dittoServerCRDYaml());
console.log(`wrote ${CRD_FILE}`);
