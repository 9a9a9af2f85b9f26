/**
 * The adapter Services child kind and the handover from `<name>-file` to it.
 *
 * `<name>-file` carried NFS and SMB on the ports DittoFS seeds on first boot; it could not follow an adapter moved,
 * disabled or added over the REST API. Its replacement is one Service per enabled adapter (`adapters.ts`). The
 * handover, decided here and nowhere else:
 * - while the adapter list is unknown, the kind is untouched (`needsAdapters`): an existing `<name>-file` keeps
 *   carrying traffic, and a new server gets none (it would only be retired again);
 * - once the list is known, `<name>-file` is kept (and still applied) until every adapter Service exists, then it
 *   is no longer desired, so the planner prunes it, and the pass reports `FileServiceRetired` naming its
 *   replacements (`fileServiceRetirement`).
 */
import type { DittoServer } from "../api/types.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { CORE } from "../runtime/resources.ts";
import { ADAPTER_TYPE_LABEL, ADAPTER_TYPES, adapterServiceName, desiredAdapterServices } from "./adapters.ts";
import type { BuildContext } from "./children.ts";
import { childNames } from "./names.ts";
import { fileService } from "./services.ts";

/** Every name a Service of the kind can have: one per adapter type, and the retiring `<name>-file`. */
export function adapterServiceNames(server: DittoServer): string[] {
  const name = server.metadata.name ?? "";
  return [...ADAPTER_TYPES.map((type) => adapterServiceName(name, type)), childNames(name).fileService];
}

/** The Services of the kind a pass wants; only called once the adapter list is known. */
export function adapterServiceChildren(server: DittoServer, ctx: BuildContext): KubeObject[] {
  const adapters = desiredAdapterServices(server, ctx.adapters?.adapters ?? [], ctx.adapters?.nfs);
  const exists = (name: string): boolean => ctx.has?.(CORE.services, name) ?? false;
  const handedOver = adapters.every((svc) => exists(svc.metadata.name ?? ""));
  const keepFile = !handedOver && exists(childNames(server.metadata.name ?? "").fileService);
  return keepFile ? [...adapters, fileService(server)] : adapters;
}

/** A `FileServiceRetired` fact: the deleted `<name>-file` and the Services that replace it. */
export interface FileServiceRetirement {
  service: string;
  replacedBy: string[];
}

/**
 * Whether this pass retired `<name>-file`: `deleted` is the `Kind/name` list of what the pass really deleted,
 * `desired` what it wants (the adapter Services among them are the replacements).
 */
export function fileServiceRetirement(server: DittoServer, deleted: readonly string[], desired: readonly KubeObject[]): FileServiceRetirement | undefined {
  const service = childNames(server.metadata.name ?? "").fileService;
  if (!deleted.includes(`Service/${service}`)) return undefined;
  const replacedBy = desired.filter((o) => o.kind === "Service" && o.metadata.labels?.[ADAPTER_TYPE_LABEL] !== undefined).map((o) => o.metadata.name ?? "");
  return { service, replacedBy };
}
