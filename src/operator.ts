/**
 * The operator as one manager: the DittoServer controller and one controller per kind bound to a DittoServer
 * (serverbound/registry.ts), the latter borrowing the API sessions the former establishes through one `dittofs`.
 */
import { FIELD_MANAGER } from "./api/constants.ts";
import { DittoFsAccess } from "./dittoserver/api-pass.ts";
import { dittoServerController } from "./dittoserver/controller.ts";
import { OPERATOR_DEFAULTS } from "./dittoserver/kinds.ts";
import type { OperatorOptions } from "./dittoserver/kinds.ts";
import type { Controller } from "./runtime/controller.ts";
import { Manager } from "./runtime/manager.ts";
import type { ManagerOptions } from "./runtime/manager.ts";
import { serverboundController } from "./serverbound/controller.ts";
import { SERVERBOUND_KINDS } from "./serverbound/registry.ts";

/** The manager, and the DittoServer controller (for tests that enqueue keys). */
export function createOperator(managerOptions: Omit<ManagerOptions, "fieldManager">, options: OperatorOptions = OPERATOR_DEFAULTS, dittofs: DittoFsAccess = new DittoFsAccess()): { manager: Manager; controller: Controller } {
  const manager = new Manager({ ...managerOptions, fieldManager: FIELD_MANAGER });
  const controller = dittoServerController(manager, options, dittofs);
  for (const kind of SERVERBOUND_KINDS) serverboundController(manager, kind, dittofs);
  return { manager, controller };
}
