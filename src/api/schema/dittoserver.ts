/** The whole DittoServer object schema (root of the CRD's openAPIV3Schema). */
import { Type } from "@sinclair/typebox";
import type { TUnsafe } from "@sinclair/typebox";
import type { ObjectMeta } from "../../runtime/objects.ts";
import { API_VERSION, KIND } from "../constants.ts";
import { DittoServerSpecSchema } from "./spec.ts";
import { DittoServerStatusSchema } from "./status.ts";

/** ObjectMeta is validated by the API server itself; the CRD only declares `type: object`. */
const ObjectMetaSchema: TUnsafe<ObjectMeta> = Type.Unsafe<ObjectMeta>(Type.Object({}, { description: "Standard object metadata." }));

export const DittoServerSchema = Type.Object(
  {
    apiVersion: Type.Literal(API_VERSION, { description: `APIVersion of the object: ${API_VERSION}.` }),
    kind: Type.Literal(KIND, { description: `Kind of the object: ${KIND}.` }),
    metadata: ObjectMetaSchema,
    spec: DittoServerSpecSchema,
    status: Type.Optional(DittoServerStatusSchema),
  },
  { description: "DittoServer runs one DittoFS file server (NFS and SMB) with its volumes, Services and optional PostgreSQL." },
);
