/** The DittoShare, declared once for the bound-resource controller (../serverbound). */
import { DITTOSHARE_CRD } from "../api/crd.ts";
import { GROUP, VERSION } from "../api/constants.ts";
import type { DittoShare } from "../api/schema/dittoshare.ts";
import type { ResourceType } from "../runtime/resources.ts";
import type { BoundObject, ServerboundKind, SyncContext } from "../serverbound/kind.ts";
import { deleteShare, shareSyncApi, syncShare } from "./sync.ts";

export const DITTOSHARES: ResourceType = { group: GROUP, version: VERSION, plural: DITTOSHARE_CRD.plural, kind: DITTOSHARE_CRD.kind, namespaced: true };

/** Guards reclaimPolicy Delete: the share is deleted on the server before the DittoShare goes. */
export const SHARE_FINALIZER = `${GROUP}/dittoshare`;

const input = (ctx: SyncContext) => ({ share: ctx.object as unknown as DittoShare, server: ctx.server, token: ctx.token, record: ctx.record, signal: ctx.signal });

export const DITTOSHARE_KIND: ServerboundKind = {
  resource: DITTOSHARES,
  controllerName: "dittoshare",
  finalizer: {
    name: SHARE_FINALIZER,
    // Retain, or nothing created or adopted yet: nothing to call.
    needsServer: (obj: BoundObject) => (obj as unknown as DittoShare).spec.reclaimPolicy === "Delete" && obj.status?.ownership !== undefined,
    cleanup: (ctx) => deleteShare(shareSyncApi(ctx.api), input(ctx)),
  },
  sync: (ctx) => syncShare(shareSyncApi(ctx.api), input(ctx)),
};
