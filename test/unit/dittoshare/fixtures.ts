/** DittoShares as the operator reads them, and a fake server for the share calls. */
import type { DittoShare } from "../../../src/api/schema/dittoshare.ts";
import type { DittoShareSpec } from "../../../src/api/schema/dittoshare.ts";
import { DittoFsError } from "../../../src/dittofs/errors.ts";
import type { CreateShareBody, GrantKind, Share, ShareGrant, UpdateShareBody } from "../../../src/dittofs/shares.ts";
import type { SnapshotPolicy, SnapshotPolicyBody, Store } from "../../../src/dittofs/wire.ts";
import type { ShareSyncApi } from "../../../src/dittoshare/sync.ts";

export function dittoShare(spec: Partial<DittoShareSpec> = {}, meta: Partial<DittoShare["metadata"]> = {}, status?: DittoShare["status"]): DittoShare {
  return {
    apiVersion: "dittofs.dittofs.com/v1alpha1",
    kind: "DittoShare",
    metadata: { name: "export", namespace: "team-a", uid: "share-uid", generation: 1, ...meta },
    spec: { serverRef: { name: "fs1" }, metadataStore: "meta", localBlockStore: "blocks", readOnly: false, enabled: true, defaultPermission: "none", reclaimPolicy: "Retain", ...spec },
    ...(status ? { status } : {}),
  };
}

const notFound = (what: string) => new DittoFsError("notFound", 404, "GET", "/api/v1/shares", `HTTP 404: ${what} not found`);

/** A server with stores `meta` and `blocks`, users alice/bob, group staff; `calls` lists every call made. */
export class FakeShares implements ShareSyncApi {
  calls: string[] = [];
  shares = new Map<string, Share & { squash: string; grants: ShareGrant[] }>();
  policies = new Map<string, SnapshotPolicy>();
  users = new Set(["alice", "bob"]);
  groups = new Set(["staff"]);
  stores: Record<"metadata" | "block", Store[]> = { metadata: [{ id: "m1", name: "meta", type: "badger", config: {} }], block: [{ id: "b1", name: "blocks", type: "fs", config: {} }] };
  private ids = 0;
  /** Fails the next call whose name starts with this, once. */
  failNext?: { prefix: string; error: Error };

  private log(entry: string): void {
    this.calls.push(entry);
    if (this.failNext && entry.startsWith(this.failNext.prefix)) {
      const { error } = this.failNext;
      this.failNext = undefined;
      throw error;
    }
  }
  writes(): string[] {
    return this.calls.filter((c) => !/^(get|list)/.test(c));
  }
  /** A share made behind the operator's back (dfsctl). */
  make(name: string, fields: Partial<Share & { squash: string }> = {}): Share & { squash: string; grants: ShareGrant[] } {
    const share = { id: `id-${++this.ids}`, name, metadataStoreId: "m1", localBlockStoreId: "b1", remoteBlockStoreId: undefined, readOnly: false, enabled: true, defaultPermission: "none", squash: "", grants: [], ...fields };
    this.shares.set(name, share);
    return share;
  }
  private share(name: string) {
    const s = this.shares.get(name);
    if (!s) throw notFound("share");
    return s;
  }

  getShare(_t: string, name: string): Promise<Share | undefined> {
    this.log(`getShare ${name}`);
    return Promise.resolve(this.shares.get(name));
  }
  createShare(_t: string, body: CreateShareBody): Promise<Share> {
    this.log(`createShare ${body.name}`);
    if (this.shares.has(body.name)) return Promise.reject(new DittoFsError("conflict", 409, "POST", "/api/v1/shares", "HTTP 409: share already exists"));
    return Promise.resolve(this.make(body.name, { readOnly: body.read_only, defaultPermission: body.default_permission }));
  }
  updateShare(_t: string, name: string, body: UpdateShareBody): Promise<void> {
    this.log(`updateShare ${name} ${JSON.stringify(body)}`);
    const s = this.share(name);
    if (body.read_only !== undefined) s.readOnly = body.read_only;
    if (body.default_permission !== undefined) s.defaultPermission = body.default_permission;
    return Promise.resolve();
  }
  setShareEnabled(_t: string, name: string, enabled: boolean): Promise<void> {
    this.log(`setShareEnabled ${name} ${enabled}`);
    this.share(name).enabled = enabled;
    return Promise.resolve();
  }
  deleteShare(_t: string, name: string): Promise<void> {
    this.log(`deleteShare ${name}`);
    this.share(name);
    this.shares.delete(name);
    return Promise.resolve();
  }
  listGrants(_t: string, name: string): Promise<ShareGrant[]> {
    this.log(`listGrants ${name}`);
    return Promise.resolve([...this.share(name).grants]);
  }
  setGrant(_t: string, name: string, kind: GrantKind, principal: string, level: string): Promise<void> {
    this.log(`setGrant ${name} ${kind} ${principal}=${level}`);
    if (!(kind === "user" ? this.users : this.groups).has(principal)) return Promise.reject(notFound(kind));
    const s = this.share(name);
    s.grants = [...s.grants.filter((g) => !(g.type === kind && g.name === principal)), { type: kind, name: principal, level }];
    return Promise.resolve();
  }
  removeGrant(_t: string, name: string, kind: GrantKind, principal: string): Promise<void> {
    this.log(`removeGrant ${name} ${kind} ${principal}`);
    const s = this.share(name);
    s.grants = s.grants.filter((g) => !(g.type === kind && g.name === principal));
    return Promise.resolve();
  }
  getSquash(_t: string, name: string): Promise<string> {
    this.log(`getSquash ${name}`);
    return Promise.resolve(this.share(name).squash);
  }
  setSquash(_t: string, name: string, squash: string): Promise<void> {
    this.log(`setSquash ${name} ${squash}`);
    this.share(name).squash = squash;
    return Promise.resolve();
  }
  getSnapshotPolicy(_t: string, share: string): Promise<SnapshotPolicy> {
    this.log(`getSnapshotPolicy ${share}`);
    const p = this.policies.get(share);
    return p ? Promise.resolve(p) : Promise.reject(notFound("policy"));
  }
  putSnapshotPolicy(_t: string, share: string, body: SnapshotPolicyBody): Promise<SnapshotPolicy> {
    this.log(`putSnapshotPolicy ${share}`);
    const p = { share, interval: body.interval, keepLast: body.keep_last ?? 0, ttl: body.ttl ?? "", enabled: body.enabled ?? true, namePrefix: body.name_prefix ?? "" };
    this.policies.set(share, p);
    return Promise.resolve(p);
  }
  deleteSnapshotPolicy(_t: string, share: string): Promise<void> {
    this.log(`deleteSnapshotPolicy ${share}`);
    this.policies.delete(share);
    return Promise.resolve();
  }
  listStores(_t: string, kind: "metadata" | "block"): Promise<Store[]> {
    this.log(`listStores ${kind}`);
    return Promise.resolve(this.stores[kind]);
  }
}
