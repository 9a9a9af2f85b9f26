/** TypeScript types of the DittoUser and DittoGroup v1alpha1 API, derived from its TypeBox schema (as read: defaults applied). */
import type { Static } from "@sinclair/typebox";
import type { DittoGroupSchema, DittoGroupStatusSchema } from "./schema/dittogroup.ts";
import type { DittoUserSchema, DittoUserSpecSchema, DittoUserStatusSchema } from "./schema/dittouser.ts";

export type DittoUser = Static<typeof DittoUserSchema>;
export type DittoUserSpec = Static<typeof DittoUserSpecSchema>;
export type DittoUserStatus = Static<typeof DittoUserStatusSchema>;
export type UserOwnership = NonNullable<DittoUserStatus["ownership"]>;
export type UserSharePermission = NonNullable<DittoUserSpec["sharePermissions"]>[number];

export type DittoGroup = Static<typeof DittoGroupSchema>;
export type DittoGroupStatus = Static<typeof DittoGroupStatusSchema>;
