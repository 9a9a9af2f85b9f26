/**
 * The kinds of resources bound to a DittoServer: one line each. createOperator (../operator.ts)
 * runs a controller for every entry; each needs its CRD in ../api/crd.ts's list and its RBAC rules.
 */
import { DITTOSHARE_KIND } from "../dittoshare/kind.ts";
import { DITTOGROUP_KIND } from "../dittouser/group-kind.ts";
import { DITTOUSER_KIND } from "../dittouser/kind.ts";
import type { ServerboundKind } from "./kind.ts";

export const SERVERBOUND_KINDS: readonly ServerboundKind[] = [DITTOSHARE_KIND, DITTOUSER_KIND, DITTOGROUP_KIND];
