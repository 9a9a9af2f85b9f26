/**
 * Leadership across terms (leadership.ts) on a fake clock and an in-memory Lease API: the write fence shuts when
 * the lease is lost, the leader's work is stopped before a new campaign, our own record is taken back at once,
 * another holder's is waited out, and work that does not stop ends the process instead of a new term.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../../src/runtime/clock.ts";
import { Leadership, leaderIdentity } from "../../../src/runtime/leadership.ts";
import { isNotLeader } from "../../../src/runtime/write-fence.ts";
import { FakeLeaseStore } from "./fake-lease-store.ts";

const T0 = Date.UTC(2026, 0, 1);

interface Harness {
  leadership: Leadership;
  clock: FakeClock;
  store: FakeLeaseStore;
  /** `lead@t`, `stepDown@t`, `unsafe:<reason>` in order. */
  log: string[];
  terms: AbortSignal[];
  /** Whether a write would be admitted now. */
  writable(): boolean;
}

function harness(opts: { stepDownResult?: boolean } = {}): Harness {
  const clock = new FakeClock(T0);
  const store = new FakeLeaseStore();
  const log: string[] = [];
  const terms: AbortSignal[] = [];
  const leadership = new Leadership({
    store,
    namespace: "ns",
    name: "lock",
    identity: "pod-a",
    clock,
    random: () => 0,
    lead: (term) => {
      terms.push(term);
      log.push(`lead@${clock.now() - T0}`);
      return Promise.resolve();
    },
    stepDown: () => {
      log.push(`stepDown@${clock.now() - T0}`);
      return Promise.resolve(opts.stepDownResult ?? true);
    },
    onUnsafe: (reason) => log.push(`unsafe:${reason}`),
  });
  const writable = (): boolean => {
    try {
      return !leadership.admit().aborted;
    } catch (err) {
      assert.ok(isNotLeader(err), String(err));
      return false;
    }
  };
  leadership.start();
  return { leadership, clock, store, log, terms, writable };
}

describe("Leadership across terms", { timeout: 10_000 }, () => {
  it("refuses writes before the first term", () => {
    const h = harness();
    assert.equal(h.writable(), false);
    return h.leadership.stop();
  });

  it("after an outage longer than the renew deadline: fence shut, work stopped, own lease taken back at once", async () => {
    const h = harness();
    await h.clock.advance(0);
    assert.deepEqual(h.log, ["lead@0"]);
    assert.equal(h.writable(), true);
    const firstTerm = h.terms[0]!;

    h.store.down = true; // last renewal at +0; rounds at +2 s … deadline +12 s
    await h.clock.advance(9_999);
    assert.equal(h.writable(), true);
    await h.clock.advance(1);
    assert.equal(h.writable(), false, "writes refused from the renew deadline after the last renewal on");
    await h.clock.advance(2_000);
    assert.equal(firstTerm.aborted, true, "the term ended: writes in flight are aborted");
    assert.deepEqual(h.log, ["lead@0", "stepDown@12000"]);
    assert.equal(h.leadership.isLeader(), false);

    await h.clock.advance(8_000); // the API is down for 20 s in all
    assert.deepEqual(h.log, ["lead@0", "stepDown@12000"], "no new term while the API is down");
    h.store.down = false;
    await h.clock.advance(2_000); // the next campaign attempt
    assert.equal(h.log.length, 3);
    const retaken = Number(h.log[2]!.split("@")[1]);
    assert.ok(retaken <= 22_000, `the lease record still names us: taken back at once (${retaken} ms)`);
    assert.equal(h.store.lease?.spec?.holderIdentity, "pod-a");
    assert.equal(h.store.lease?.spec?.leaseTransitions, 0, "the same holder kept it");
    assert.equal(h.leadership.termsLed(), 2);
    assert.equal(h.writable(), true);
    assert.notEqual(h.terms[1], firstTerm);
    await h.leadership.stop();
    assert.equal(h.store.lease?.spec?.holderIdentity, "", "released on stop");
  });

  it("waits out a lease that another holder took while we were cut off", async () => {
    const h = harness();
    await h.clock.advance(0);
    h.store.down = true;
    await h.clock.advance(12_000);
    assert.deepEqual(h.log, ["lead@0", "stepDown@12000"]);
    h.store.down = false;
    const now = new Date(h.clock.now()).toISOString();
    h.store.put({ holderIdentity: "pod-b", leaseDurationSeconds: 15, acquireTime: now, renewTime: now, leaseTransitions: 1 });
    await h.clock.advance(14_000);
    assert.equal(h.log.length, 2, "pod-b's lease is valid for 15 s from when we first saw it");
    assert.equal(h.writable(), false);
    await h.clock.advance(6_000);
    assert.equal(h.log.length, 3, "taken over once pod-b stopped renewing for a whole lease duration");
    assert.equal(h.store.lease?.spec?.holderIdentity, "pod-a");
    await h.leadership.stop();
  });

  it("exits instead of campaigning again when the leader's work does not stop", async () => {
    const h = harness({ stepDownResult: false });
    await h.clock.advance(0);
    h.store.down = true;
    await h.clock.advance(12_000);
    h.store.down = false;
    await h.clock.advance(30_000);
    assert.deepEqual(h.log, ["lead@0", "stepDown@12000", "unsafe:in-flight reconciles did not end after leadership was lost"]);
    assert.equal(h.writable(), false);
    await h.leadership.stop();
  });
});

describe("leaderIdentity", () => {
  it("is the pod name when the Downward API sets POD_NAME, so a restarted container knows its own lease", () => {
    assert.equal(leaderIdentity({ POD_NAME: "dittofs-operator-7c9f-abcde" }), "dittofs-operator-7c9f-abcde");
  });

  it("is unique per process otherwise (two processes on one host must not share it)", () => {
    const a = leaderIdentity({});
    const b = leaderIdentity({});
    assert.notEqual(a, b);
    assert.match(a, /^.+_[0-9a-f-]{36}$/);
  });
});
