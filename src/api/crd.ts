/**
 * The operator's CustomResourceDefinitions, declared once each (`CRDS`) and built from their TypeBox schemas. Pure:
 * `hack/gen-crd.ts` writes them to `deploy/crds/` (and its kustomization), `hack/gen-docs.ts` to the chart and to
 * docs/api-reference.md, and unit tests fail when a committed file is stale.
 */
import type { TSchema } from "@sinclair/typebox";
import { stringify } from "yaml";
import { GROUP, KIND, LIST_KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION } from "./constants.ts";
import { DittoServerSchema, NAME_RULES } from "./schema/dittoserver.ts";
import { DittoShareSchema, SHARE_KIND } from "./schema/dittoshare.ts";
import { DittoGroupSchema, GROUP_KIND } from "./schema/dittogroup.ts";
import { DittoUserSchema, USER_KIND } from "./schema/dittouser.ts";
import { cel } from "./schema/helpers.ts";
import type { CelRule } from "./schema/helpers.ts";
import { boundColumns } from "./bound-columns.ts";
import { structuralViolations, toStructural } from "./structural.ts";
import type { JsonSchema } from "./structural.ts";

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "date" | "boolean" | "number";
  description?: string;
  jsonPath: string;
  priority?: number;
}

/** One kind of the API group: its names, root schema (spec and status), metadata.name rules and columns. */
export interface CrdDeclaration {
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  schema: TSchema;
  nameRules: readonly CelRule[];
  printerColumns: readonly PrinterColumn[];
}

export const DITTOSERVER_CRD: CrdDeclaration = {
  kind: KIND,
  listKind: LIST_KIND,
  plural: PLURAL,
  singular: SINGULAR,
  shortNames: SHORT_NAMES,
  schema: DittoServerSchema,
  nameRules: NAME_RULES,
  printerColumns: [
    { name: "Ready", type: "string", description: "Ready/desired replicas.", jsonPath: ".status.ready" },
    { name: "Status", type: "string", description: "Lifecycle phase.", jsonPath: ".status.phase" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
    { name: "Replicas", type: "integer", description: "Desired replicas.", jsonPath: ".spec.replicas", priority: 1 },
    { name: "Available", type: "integer", description: "Available replicas.", jsonPath: ".status.availableReplicas", priority: 1 },
    { name: "NFS", type: "string", description: "NFS endpoint.", jsonPath: ".status.nfsEndpoint", priority: 1 },
  ],
};

export const DITTOSHARE_CRD: CrdDeclaration = {
  kind: SHARE_KIND,
  listKind: `${SHARE_KIND}List`,
  plural: "dittoshares",
  singular: "dittoshare",
  shortNames: ["dshare"],
  schema: DittoShareSchema,
  // Any object name makes a valid default share name (`/<name>`): nothing to add to the API server's own check.
  nameRules: [],
  printerColumns: boundColumns([{ name: "Share", type: "string", description: "The share's name on the server.", jsonPath: ".status.shareName" }]),
};

export const DITTOUSER_CRD: CrdDeclaration = {
  kind: USER_KIND,
  listKind: `${USER_KIND}List`,
  plural: "dittousers",
  singular: "dittouser",
  shortNames: ["duser"],
  schema: DittoUserSchema,
  // Reserved and long names are refused by the schema's root rules, which know whether spec.username is set.
  nameRules: [],
  printerColumns: boundColumns([
    { name: "User", type: "string", description: "The user on the server.", jsonPath: ".status.username" },
    { name: "Role", type: "string", description: "The user's role.", jsonPath: ".spec.role" },
  ]),
};

export const DITTOGROUP_CRD: CrdDeclaration = {
  kind: GROUP_KIND,
  listKind: `${GROUP_KIND}List`,
  plural: "dittogroups",
  singular: "dittogroup",
  shortNames: ["dgroup"],
  schema: DittoGroupSchema,
  // As for DittoUser: the root rules check the name when spec.groupName is absent.
  nameRules: [],
  printerColumns: boundColumns([{ name: "Group", type: "string", description: "The group on the server.", jsonPath: ".status.groupName" }]),
};

/** Every CRD the operator ships, one line each (DittoServer first: the docs keep that order). */
export const CRDS: readonly CrdDeclaration[] = [DITTOSERVER_CRD, DITTOSHARE_CRD, DITTOUSER_CRD, DITTOGROUP_CRD];

export const GEN_CRD_COMMAND = "npm run gen:crd";
export const CRD_DIR = "deploy/crds";
export const CHART_CRD_DIR = "charts/dittofs-operator/crds";

export const crdName = (d: CrdDeclaration): string => `${d.plural}.${GROUP}`;
/** The file name under CRD_DIR and CHART_CRD_DIR. */
export const crdFileName = (d: CrdDeclaration): string => `${GROUP}_${d.plural}.yaml`;
/** The DittoServer CRD's path from the repository root (the benchmarks install it alone). */
export const CRD_FILE = `${CRD_DIR}/${crdFileName(DITTOSERVER_CRD)}`;

/** The root schema: apiVersion/kind as plain strings (the API server checks them), metadata left to the server. */
export function openAPIV3Schema(d: CrdDeclaration): JsonSchema {
  const converted = toStructural(JSON.parse(JSON.stringify(d.schema)) as JsonSchema);
  const properties = converted.properties as Record<string, JsonSchema>;
  properties.apiVersion = { type: "string", description: `APIVersion of the object: ${GROUP}/${VERSION}.` };
  properties.kind = { type: "string", description: `Kind of the object: ${d.kind}.` };
  // Only name/generateName may be restricted under metadata; CEL there reports the right field path.
  properties.metadata = { type: "object", ...(d.nameRules.length > 0 ? { properties: { name: { type: "string", ...cel(...d.nameRules) } } } : {}) };
  converted.required = ["spec"];
  const violations = structuralViolations(converted);
  if (violations.length > 0) throw new Error(`generated schema of ${d.kind} is not structural:\n${violations.join("\n")}`);
  return converted;
}

export function crdObject(d: CrdDeclaration): JsonSchema {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: crdName(d),
      labels: { "app.kubernetes.io/name": "dittofs-operator", "app.kubernetes.io/part-of": "dittofs" },
    },
    spec: {
      group: GROUP,
      names: { kind: d.kind, listKind: d.listKind, plural: d.plural, singular: d.singular, shortNames: [...d.shortNames] },
      scope: "Namespaced",
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: d.printerColumns.map((c) => ({ ...c })),
          schema: { openAPIV3Schema: openAPIV3Schema(d) },
        },
      ],
    },
  };
}

/** The content of the CRD's file in CRD_DIR (and CHART_CRD_DIR). */
export function crdYaml(d: CrdDeclaration): string {
  const header = `# Generated from src/api/schema by hack/gen-crd.ts; do not edit. Regenerate with: ${GEN_CRD_COMMAND}\n`;
  return header + stringify(crdObject(d), { lineWidth: 0, aliasDuplicateObjects: false });
}

/** deploy/crds/kustomization.yaml: every CRD, so kustomize overlays install them all. */
export function crdKustomizationYaml(): string {
  const header = `# Lets kustomize overlays (deploy/base) include the generated CRDs; written by \`${GEN_CRD_COMMAND}\`.\n`;
  return header + stringify({ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: CRDS.map(crdFileName) });
}
