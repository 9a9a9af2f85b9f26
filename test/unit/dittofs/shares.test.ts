/** The share calls: paths (share and principal names encoded), bodies, and how answers are read. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Request } from "../../../src/dittofs/client.ts";
import { DittoFsError } from "../../../src/dittofs/errors.ts";
import { parseGrants, parseShare, shareApi } from "../../../src/dittofs/shares.ts";

/** A client whose `call` records the request and answers `answer` through the request's own parser. */
function recording(answer?: unknown, fail?: Error) {
  const sent: Omit<Request<unknown>, "parse">[] = [];
  const client = {
    call: <T>(req: Request<T>): Promise<T> => {
      const { parse, ...rest } = req;
      sent.push(rest);
      return fail ? Promise.reject(fail) : Promise.resolve(parse(answer));
    },
  };
  return { api: shareApi(client), sent };
}

const SHARE = { id: "s1", name: "/data/x", metadata_store_id: "m1", local_block_store_id: "b1", remote_block_store_id: null, read_only: true, enabled: false, default_permission: "read" };

describe("shareApi", () => {
  it("encodes the share name (slashes included) and the principal into the path", async () => {
    const { api, sent } = recording();
    await api.setGrant("t", "/data/x", "group", "ops team", "read");
    await api.removeGrant("t", "/data/x", "user", "alice");
    await api.setShareEnabled("t", "/data/x", false);
    await api.setSquash("t", "/data/x", "none");
    assert.deepEqual(sent.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.body ?? null)}`), [
      'PUT /shares/%2Fdata%2Fx/permissions/groups/ops%20team {"level":"read"}',
      "DELETE /shares/%2Fdata%2Fx/permissions/users/alice null",
      "POST /shares/%2Fdata%2Fx/disable null",
      'PATCH /shares/%2Fdata%2Fx/adapters/nfs/config {"squash":"none"}',
    ]);
    assert.ok(sent.every((r) => r.token === "t"));
  });

  it("getShare reads the share, and a 404 as no share", async () => {
    assert.deepEqual(await recording(SHARE).api.getShare("t", "/data/x"), {
      id: "s1", name: "/data/x", metadataStoreId: "m1", localBlockStoreId: "b1", remoteBlockStoreId: undefined, readOnly: true, enabled: false, defaultPermission: "read",
    });
    assert.equal(await recording(undefined, new DittoFsError("notFound", 404, "GET", "/x", "HTTP 404")).api.getShare("t", "/nope"), undefined);
    await assert.rejects(recording(undefined, new DittoFsError("transient", 503, "GET", "/x", "HTTP 503")).api.getShare("t", "/x"), /503/);
  });

  it("reads grants (null for none) and the squash mode (empty when never set)", async () => {
    assert.deepEqual(parseGrants(null), []);
    assert.deepEqual(parseGrants([{ type: "user", name: "alice", level: "read" }]), [{ type: "user", name: "alice", level: "read" }]);
    assert.equal(await recording({ squash: "all_to_guest", allow_auth_sys: true }).api.getSquash("t", "/x"), "all_to_guest");
    assert.equal(await recording({}).api.getSquash("t", "/x"), "");
  });

  it("refuses a share without an id", () => {
    assert.throws(() => parseShare({ name: "/x" }), /share\.id/);
  });
});
