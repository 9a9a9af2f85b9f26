/**
 * The kinds of resources bound to a DittoServer: one line each. createOperator (../operator.ts)
 * runs a controller for every entry; each needs its CRD in ../api/crd.ts's list and its RBAC rules.
 */
import type { ServerboundKind } from "./kind.ts";
import { DITTOUSER_KIND } from "../dittouser/kind.ts";

export const SERVERBOUND_KINDS: readonly ServerboundKind[] = [DITTOUSER_KIND];
