/** The whole DittoServer object schema (root of the CRD's openAPIV3Schema). */
import { Type } from "@sinclair/typebox";
import { ObjectMetaSchema } from "./helpers.ts";
import type { CelRule } from "./helpers.ts";
import { API_VERSION, KIND } from "../constants.ts";
import { DittoServerSpecSchema } from "./spec.ts";
import { DittoServerStatusSchema } from "./status.ts";

/**
 * Children are named `<name>-<suffix>` (Services are DNS-1035 labels ≤ 63, the longest suffix is `-headless`,
 * and the StatefulSet's controller-revision-hash label is `<name>-<10 chars>`), so the name is checked here at
 * admission instead of failing later in the reconciler.
 */
export const MAX_NAME_LENGTH = 45;

/** CEL rules on metadata.name (self is the name). */
export const NAME_RULES: CelRule[] = [
  {
    rule: `self.size() <= ${MAX_NAME_LENGTH}`,
    message: `name may have at most ${MAX_NAME_LENGTH} characters: the Service and label names derived from it are limited to 63`,
  },
  {
    rule: "self.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
    message: "name must start with a lowercase letter and contain only lowercase letters, digits and '-' (it names Services)",
  },
];

/** ObjectMeta is validated by the API server itself; the CRD only declares `type: object`. */

export const DittoServerSchema = Type.Object(
  {
    apiVersion: Type.Literal(API_VERSION, { description: `APIVersion of the object: ${API_VERSION}.` }),
    kind: Type.Literal(KIND, { description: `Kind of the object: ${KIND}.` }),
    metadata: ObjectMetaSchema,
    spec: DittoServerSpecSchema,
    status: Type.Optional(DittoServerStatusSchema),
  },
  {
    description: "DittoServer runs one DittoFS file server (NFS and SMB) with its volumes, Services and optional PostgreSQL.",
  },
);
