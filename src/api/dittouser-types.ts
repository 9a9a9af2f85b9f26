/** TypeScript types of the DittoUser v1alpha1 API, derived from its TypeBox schema (as read: defaults applied). */
import type { Static } from "@sinclair/typebox";
import type { DittoUserSchema, DittoUserSpecSchema, DittoUserStatusSchema } from "./schema/dittouser.ts";

export type DittoUser = Static<typeof DittoUserSchema>;
export type DittoUserSpec = Static<typeof DittoUserSpecSchema>;
export type DittoUserStatus = Static<typeof DittoUserStatusSchema>;
export type UserOwnership = NonNullable<DittoUserStatus["ownership"]>;
export type UserSharePermission = NonNullable<DittoUserSpec["sharePermissions"]>[number];
