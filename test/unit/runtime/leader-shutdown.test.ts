/**
 * Shutdown races of the LeaderElector: a renewal in flight when SIGTERM arrives, a release that meets a newer
 * resourceVersion, and a lease kept (left to expire) because the manager abandoned reconciles.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../../src/runtime/clock.ts";
import { ApiError } from "../../../src/runtime/errors.ts";
import { LeaderElector, type Lease, type LeaseSpec, type LeaseStore } from "../../../src/runtime/leader.ts";

/**
 * Lease API with optimistic concurrency. `holdNextUpdate` makes the next update land on the server at once while
 * its response waits for `deliver()`; with `loseOnAbort` the response is lost when the request is aborted (as
 * fetch does), although the write happened.
 */
class RacyLeaseStore implements LeaseStore {
  lease: Lease | undefined;
  private rv = 0;
  readonly ops: string[] = [];
  holdNextUpdate: { loseOnAbort: boolean } | undefined;
  private deliverHeld: (() => void) | undefined;

  get(_ns: string, _name: string, signal?: AbortSignal): Promise<Lease | undefined> {
    this.ops.push("get");
    if (signal?.aborted) return Promise.reject(new Error("request aborted"));
    return Promise.resolve(this.lease ? structuredClone(this.lease) : undefined);
  }

  create(_ns: string, lease: Lease, signal?: AbortSignal): Promise<Lease> {
    this.ops.push("create");
    if (signal?.aborted) return Promise.reject(new Error("request aborted"));
    return Promise.resolve(this.store(lease));
  }

  async update(_ns: string, lease: Lease, signal?: AbortSignal): Promise<Lease> {
    this.ops.push(`update:${lease.spec?.holderIdentity ?? ""}`);
    this.refuseAborted(signal);
    if (lease.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) {
      this.ops.push("409");
      throw new ApiError(409, "Conflict", "the object has been modified", "");
    }
    const stored = this.store(lease);
    const hold = this.holdNextUpdate;
    if (hold) {
      this.holdNextUpdate = undefined;
      await new Promise<void>((resolve, reject) => {
        this.deliverHeld = resolve;
        if (hold.loseOnAbort) signal?.addEventListener("abort", () => { reject(new Error("request aborted")); }, { once: true });
      });
    }
    return stored;
  }

  deliver(): void {
    this.deliverHeld?.();
  }

  /** Another process writes the Lease. */
  put(spec: LeaseSpec): void {
    this.store({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { namespace: "ns", name: "lock" }, spec });
  }

  private refuseAborted(signal?: AbortSignal): void {
    if (signal?.aborted) throw new Error("request aborted");
  }

  private store(lease: Lease): Lease {
    const stored = structuredClone(lease);
    stored.metadata.resourceVersion = String(++this.rv);
    this.lease = stored;
    return structuredClone(stored);
  }
}

const T0 = Date.UTC(2026, 0, 1);

function leader(store: RacyLeaseStore, clock: FakeClock) {
  const stopped: string[] = [];
  const le = new LeaderElector({
    store,
    namespace: "ns",
    name: "lock",
    identity: "a",
    clock,
    random: () => 0,
    releaseOnCancel: true,
    onStartedLeading: () => undefined,
    onStoppedLeading: (reason) => stopped.push(reason),
  });
  const cancel = new AbortController();
  let finished = false;
  const done = le.run(cancel.signal).then(() => {
    finished = true;
  });
  return { le, cancel, done, stopped, finished: () => finished };
}

describe("LeaderElector shutdown races", { timeout: 10_000 }, () => {
  it("waits for a renewal in flight at SIGTERM, then releases with its resourceVersion", async () => {
    const clock = new FakeClock(T0);
    const store = new RacyLeaseStore();
    const a = leader(store, clock);
    await clock.advance(0);
    assert.equal(a.le.isLeader(), true);
    store.holdNextUpdate = { loseOnAbort: false };
    await clock.advance(2_000); // the renewal is sent and lands; its response is still on the way
    a.cancel.abort();
    await clock.advance(0);
    assert.equal(a.finished(), false, "run() must not release while the renewal is unanswered");
    store.deliver();
    await a.done;
    assert.ok(!store.ops.includes("409"), `the release used a stale resourceVersion: ${store.ops.join(" ")}`);
    assert.equal(store.lease?.spec?.holderIdentity, "");
    assert.equal(store.lease?.spec?.leaseDurationSeconds, 1);
    assert.deepEqual(a.stopped, ["cancelled"]);
  });

  it("on 409 during release re-reads the Lease and retries once while still the holder", async () => {
    const clock = new FakeClock(T0);
    const store = new RacyLeaseStore();
    const a = leader(store, clock);
    await clock.advance(0);
    // The renewal lands, but its response is lost to the cancel: our copy of the Lease is stale.
    store.holdNextUpdate = { loseOnAbort: true };
    await clock.advance(2_000);
    a.cancel.abort();
    await a.done;
    const release = store.ops.slice(store.ops.indexOf("update:"));
    assert.deepEqual(release, ["update:", "409", "get", "update:"], store.ops.join(" "));
    assert.equal(store.lease?.spec?.holderIdentity, "", "released after the retry");
    assert.equal(store.lease?.spec?.leaseDurationSeconds, 1);
  });

  it("on 409 during release leaves a Lease that another candidate now holds", async () => {
    const clock = new FakeClock(T0);
    const store = new RacyLeaseStore();
    const a = leader(store, clock);
    await clock.advance(0);
    store.put({ holderIdentity: "b", leaseDurationSeconds: 15, leaseTransitions: 1 });
    a.cancel.abort();
    await a.done;
    assert.deepEqual(store.ops.slice(-3), ["update:", "409", "get"], "no second write after seeing another holder");
    assert.equal(store.lease?.spec?.holderIdentity, "b");
  });

  it("keepLeaseOnCancel leaves the lease to expire even with releaseOnCancel", async () => {
    const clock = new FakeClock(T0);
    const store = new RacyLeaseStore();
    const a = leader(store, clock);
    await clock.advance(0);
    a.le.keepLeaseOnCancel("reconciles abandoned");
    a.cancel.abort();
    await a.done;
    assert.equal(store.lease?.spec?.holderIdentity, "a");
    assert.equal(store.lease?.spec?.leaseDurationSeconds, 15);
    assert.ok(!store.ops.includes("update:"), "no release was written");
    assert.deepEqual(a.stopped, ["cancelled"]);
  });
});
