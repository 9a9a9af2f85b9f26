import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../../src/runtime/clock.ts";
import { LeaderElector, type LeaderElectorOptions } from "../../../src/runtime/leader.ts";
import { FakeLeaseStore } from "./fake-lease-store.ts";

interface Candidate {
  le: LeaderElector;
  log: string[];
  leading: boolean[];
  cancel: AbortController;
  done: Promise<void>;
  leaderSignal: () => AbortSignal | undefined;
}

function candidate(
  store: FakeLeaseStore,
  clock: FakeClock,
  identity: string,
  extra: Partial<LeaderElectorOptions> = {},
): Candidate {
  const log: string[] = [];
  const leading: boolean[] = [];
  let leaderSignal: AbortSignal | undefined;
  const le = new LeaderElector({
    store,
    namespace: "ns",
    name: "lock",
    identity,
    clock,
    random: () => 0,
    onStartedLeading: (signal) => {
      leaderSignal = signal;
      log.push(`started@${clock.now()}`);
    },
    onStoppedLeading: (reason) => log.push(`stopped:${reason}@${clock.now()}`),
    metrics: { leading: (l) => leading.push(l), slowpath: () => undefined },
    ...extra,
  });
  const cancel = new AbortController();
  const done = le.run(cancel.signal);
  return { le, log, leading, cancel, done, leaderSignal: () => leaderSignal };
}

const T0 = Date.UTC(2026, 0, 1);
const micro = (ms: number): string => new Date(ms).toISOString().replace("Z", "000Z");

describe("LeaderElector acquire and renew", { timeout: 10_000 }, () => {
  it("creates the Lease when none exists and starts leading", async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, "a");
    await clock.advance(0);
    assert.deepEqual(a.log, [`started@${T0}`]);
    assert.equal(a.le.isLeader(), true);
    assert.deepEqual(a.leading, [true]);
    assert.deepEqual(store.lease?.spec, {
      holderIdentity: "a",
      leaseDurationSeconds: 15,
      acquireTime: micro(T0),
      renewTime: micro(T0),
      leaseTransitions: 0,
    });
  });

  it("renews every retry period with optimistic updates, keeping acquireTime and transitions", async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    candidate(store, clock, "a");
    await clock.advance(0);
    const opsBefore = store.ops.length;
    await clock.advance(20_000);
    const renewOps = store.ops.slice(opsBefore);
    assert.equal(renewOps.length, 10);
    assert.ok(renewOps.every((o) => o.verb === "update"), "no reads while the cached lease is valid");
    assert.equal(store.lease?.spec?.renewTime, micro(T0 + 20_000));
    assert.equal(store.lease?.spec?.acquireTime, micro(T0));
    assert.equal(store.lease?.spec?.leaseTransitions, 0);
  });

  it("waits while another holder's lease is valid, measured from local observation, then takes over", async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    // The other holder's renewTime is years old: a candidate comparing it with its own clock would take over at once.
    store.put({ holderIdentity: "b", leaseDurationSeconds: 15, renewTime: micro(Date.UTC(2020, 0, 1)), leaseTransitions: 3 });
    const a = candidate(store, clock, "a");
    await clock.advance(14_999);
    assert.equal(a.le.isLeader(), false);
    assert.equal(store.lease?.spec?.holderIdentity, "b");
    await clock.advance(4_000);
    assert.equal(a.le.isLeader(), true);
    const startedAt = Number(a.log[0]!.split("@")[1]);
    assert.ok(startedAt >= T0 + 15_000, `took over at +${startedAt - T0} ms, before the lease expired locally`);
    assert.equal(store.lease?.spec?.holderIdentity, "a");
    assert.equal(store.lease?.spec?.leaseTransitions, 4, "a change of holder is a transition");
    assert.equal(store.lease?.spec?.acquireTime, micro(startedAt));
  });

  it("does not take over from a holder whose clock runs ahead, until it stops renewing", async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    store.put({ holderIdentity: "b", leaseDurationSeconds: 15, renewTime: micro(Date.UTC(2100, 0, 1)) });
    const a = candidate(store, clock, "a");
    await clock.advance(14_000);
    assert.equal(a.le.isLeader(), false);
    await clock.advance(4_000);
    assert.equal(a.le.isLeader(), true, "a future renewTime does not keep a dead holder's lease alive");
  });

  it("never takes over a lease its holder keeps renewing", async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    const b = candidate(store, clock, "b");
    await clock.advance(0);
    const a = candidate(store, clock, "a");
    await clock.advance(120_000);
    assert.equal(b.le.isLeader(), true);
    assert.equal(a.le.isLeader(), false);
    assert.deepEqual(a.log, []);
    assert.equal(store.lease?.spec?.holderIdentity, "b");
    assert.equal(store.lease?.spec?.leaseTransitions, 0);
  });

  it("lets exactly one of two simultaneous candidates win (resourceVersion conflicts)", async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, "a");
    const b = candidate(store, clock, "b");
    await clock.advance(60_000);
    assert.equal(Number(a.le.isLeader()) + Number(b.le.isLeader()), 1);
    const winner = a.le.isLeader() ? "a" : "b";
    assert.equal(store.lease?.spec?.holderIdentity, winner);
  });

  it("returns without calling onStoppedLeading when cancelled before leading", async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    store.put({ holderIdentity: "b", leaseDurationSeconds: 15 });
    const a = candidate(store, clock, "a", { releaseOnCancel: true });
    await clock.advance(3_000);
    a.cancel.abort();
    await a.done;
    assert.deepEqual(a.log, []);
    assert.equal(store.lease?.spec?.holderIdentity, "b");
  });
});

describe("LeaderElector losing the lease", { timeout: 10_000 }, () => {
  it("stops leading at the renew deadline when the API is unreachable", async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, "a");
    await clock.advance(4_000); // acquired at T0, renewed at +2 s and +4 s
    assert.equal(store.lease?.spec?.renewTime, micro(T0 + 4_000));
    store.down = true;
    await clock.advance(9_999);
    assert.equal(a.le.mayWrite(), true, "writes allowed until the renew deadline after the last renewal (+4 s)");
    await clock.advance(1);
    assert.equal(a.le.mayWrite(), false, "no write leaves 10 s after the last renewal started, though still leading");
    assert.equal(a.le.isLeader(), true);
    await clock.advance(1_999); // next renewal round starts at +6 s, its deadline is +16 s
    assert.equal(a.le.isLeader(), true);
    await clock.advance(1);
    assert.deepEqual(a.log, [`started@${T0}`, `stopped:lost@${T0 + 16_000}`]);
    await a.done;
    assert.equal(a.leaderSignal()?.aborted, true);
    assert.equal(a.le.isLeader(), false);
    assert.deepEqual(a.leading, [true, false]);
  });

  it("stops leading at the deadline even when a renewal request hangs", async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, "a");
    await clock.advance(0);
    store.hang = true;
    await clock.advance(12_000);
    assert.deepEqual(a.log, [`started@${T0}`, `stopped:lost@${T0 + 12_000}`]);
    await a.done;
  });

  it("stops leading at once when it sees another holder, without waiting for the deadline", async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, "a");
    await clock.advance(1_000);
    store.put({ holderIdentity: "intruder", leaseDurationSeconds: 15, leaseTransitions: 1 });
    await clock.advance(1_000);
    assert.deepEqual(a.log, [`started@${T0}`, `stopped:lost@${T0 + 2_000}`]);
    await a.done;
    assert.equal(store.lease?.spec?.holderIdentity, "intruder", "the lost leader does not fight back");
  });

  it("check() fails when a leader has not renewed for lease duration + grace (stalled event loop)", async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, "a", { healthGraceMs: 20_000 });
    await clock.advance(0);
    assert.equal(a.le.check(), true);
    clock.stall(35_000);
    assert.equal(a.le.check(), true);
    clock.stall(1);
    assert.equal(a.le.check(), false);
    const b = candidate(store, clock, "b");
    await clock.advance(0);
    assert.equal(b.le.check(), true, "a follower is healthy");
  });
});

describe("LeaderElector release", { timeout: 10_000 }, () => {
  it("on cancel writes an empty holder with a 1 s duration so a standby takes over quickly", async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, "a", { releaseOnCancel: true });
    await clock.advance(0);
    const b = candidate(store, clock, "b");
    await clock.advance(5_000);
    assert.equal(b.le.isLeader(), false);
    const releasedAt = clock.now();
    a.cancel.abort();
    await a.done;
    assert.deepEqual(a.log, [`started@${T0}`, `stopped:cancelled@${releasedAt}`]);
    assert.equal(store.lease?.spec?.holderIdentity, "");
    assert.equal(store.lease?.spec?.leaseDurationSeconds, 1);
    await clock.advance(2_000);
    assert.equal(b.le.isLeader(), true);
    assert.equal(store.lease?.spec?.holderIdentity, "b");
    assert.equal(store.lease?.spec?.leaseTransitions, 1);
    assert.ok(Number(b.log[0]!.split("@")[1]) - releasedAt <= 2_000);
  });

  it("without releaseOnCancel leaves the lease to expire", async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, "a");
    await clock.advance(0);
    a.cancel.abort();
    await a.done;
    assert.equal(store.lease?.spec?.holderIdentity, "a");
    assert.equal(store.lease?.spec?.leaseDurationSeconds, 15);
    assert.deepEqual(a.log, [`started@${T0}`, `stopped:cancelled@${T0}`]);
  });
});

describe("LeaderElector configuration", { timeout: 10_000 }, () => {
  const base = {
    store: new FakeLeaseStore(),
    namespace: "ns",
    name: "lock",
    identity: "a",
    onStartedLeading: () => undefined,
    onStoppedLeading: () => undefined,
  };

  it("requires leaseDuration > renewDeadline > 1.2 × retryPeriod", () => {
    assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }), /leaseDuration/);
    assert.throws(() => new LeaderElector({ ...base, renewDeadlineMs: 2_400, retryPeriodMs: 2_000 }), /1.2 × retryPeriod/);
    assert.throws(() => new LeaderElector({ ...base, identity: "" }), /identity/);
    assert.ok(new LeaderElector(base));
  });

  it("run() may be called only once", async () => {
    const clock = new FakeClock(T0);
    const le = new LeaderElector({ ...base, store: new FakeLeaseStore(), clock });
    const ac = new AbortController();
    ac.abort();
    await le.run(ac.signal);
    await assert.rejects(le.run(ac.signal), /once/);
  });
});
