/**
 * The DittoServer CustomResourceDefinition, built from the TypeBox schema. Pure: `hack/gen-crd.ts` writes it to
 * `deploy/crds/`, and a unit test fails when the committed file is stale.
 */
import { stringify } from "yaml";
import { API_VERSION, CRD_NAME, GROUP, KIND, LIST_KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION } from "./constants.ts";
import { DittoServerSchema, NAME_RULES } from "./schema/dittoserver.ts";
import { cel } from "./schema/helpers.ts";
import { structuralViolations, toStructural } from "./structural.ts";
import type { JsonSchema } from "./structural.ts";

export const CRD_FILE = `deploy/crds/${GROUP}_${PLURAL}.yaml`;
export const GEN_CRD_COMMAND = "npm run gen:crd";

/** The root schema: apiVersion/kind as plain strings (the API server checks them), metadata left to the server. */
export function openAPIV3Schema(): JsonSchema {
  const converted = toStructural(JSON.parse(JSON.stringify(DittoServerSchema)) as JsonSchema);
  const properties = converted.properties as Record<string, JsonSchema>;
  properties.apiVersion = { type: "string", description: `APIVersion of the object: ${API_VERSION}.` };
  properties.kind = { type: "string", description: `Kind of the object: ${KIND}.` };
  // Only name/generateName may be restricted under metadata; CEL there reports the right field path.
  properties.metadata = { type: "object", properties: { name: { type: "string", ...cel(...NAME_RULES) } } };
  converted.required = ["spec"];
  const violations = structuralViolations(converted);
  if (violations.length > 0) throw new Error(`generated schema is not structural:\n${violations.join("\n")}`);
  return converted;
}

export function dittoServerCRD(): JsonSchema {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: CRD_NAME,
      labels: { "app.kubernetes.io/name": "dittofs-operator", "app.kubernetes.io/part-of": "dittofs" },
    },
    spec: {
      group: GROUP,
      names: { kind: KIND, listKind: LIST_KIND, plural: PLURAL, singular: SINGULAR, shortNames: [...SHORT_NAMES] },
      scope: "Namespaced",
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: "Ready", type: "string", description: "Ready/desired replicas.", jsonPath: ".status.ready" },
            { name: "Status", type: "string", description: "Lifecycle phase.", jsonPath: ".status.phase" },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
            { name: "Replicas", type: "integer", description: "Desired replicas.", jsonPath: ".spec.replicas", priority: 1 },
            { name: "Available", type: "integer", description: "Available replicas.", jsonPath: ".status.availableReplicas", priority: 1 },
            { name: "NFS", type: "string", description: "NFS endpoint.", jsonPath: ".status.nfsEndpoint", priority: 1 },
          ],
          schema: { openAPIV3Schema: openAPIV3Schema() },
        },
      ],
    },
  };
}

/** The file content of CRD_FILE. */
export function dittoServerCRDYaml(): string {
  const header = `# Generated from src/api/schema by hack/gen-crd.ts; do not edit. Regenerate with: ${GEN_CRD_COMMAND}\n`;
  return header + stringify(dittoServerCRD(), { lineWidth: 0, aliasDuplicateObjects: false });
}
