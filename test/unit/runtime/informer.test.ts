import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { byControllerOwnerUID, Store } from "../../../src/runtime/cache.ts";
import { FakeClock } from "../../../src/runtime/clock.ts";
import { Informer } from "../../../src/runtime/informer.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { cm, FakeSource, list, settle } from "./fake-source.ts";

const informers: Informer[] = [];
afterEach(async () => {
  for (const i of informers.splice(0)) await i.stop();
});

function informer(source: FakeSource, clock = new FakeClock(), resyncPeriodMs = 0): Informer {
  const i = new Informer({ resource: CORE.configMaps, source, clock, resyncPeriodMs, watcher: { random: () => 0 } });
  informers.push(i);
  return i;
}

const valueOf = (o: KubeObject | undefined): string | undefined => (o?.data as Record<string, string> | undefined)?.k;

describe("Store", () => {
  it("swaps atomically at InitDone: deletes vanished, updates moved, adds new, ignores unchanged", () => {
    const s = new Store();
    s.apply({ type: "Init" });
    for (const o of [cm("keep", "1"), cm("move", "1"), cm("gone", "1")]) s.apply({ type: "InitApply", object: o });
    s.apply({ type: "InitDone" });
    s.apply({ type: "Init" });
    s.apply({ type: "InitApply", object: cm("keep", "1") });
    s.apply({ type: "InitApply", object: cm("move", "2") });
    assert.equal(s.get("ns/gone")?.metadata.name, "gone", "old content stays until InitDone");
    s.apply({ type: "InitApply", object: cm("new", "3") });
    const deltas = s.apply({ type: "InitDone" });
    assert.deepEqual(
      deltas.map((d) => `${d.type}:${d.object.metadata.name}`),
      ["delete:gone", "update:move", "add:new"],
    );
    assert.deepEqual(s.keys().sort(), ["ns/keep", "ns/move", "ns/new"]);
  });

  it("hands out frozen objects", () => {
    const s = new Store();
    s.apply({ type: "Apply", object: cm("a", "1", { k: "v" }) });
    const got = s.get("ns/a")!;
    assert.throws(() => {
      (got.data as Record<string, string>).k = "changed";
    }, TypeError);
  });

  it("keeps indexes current across updates, deletes and relists", () => {
    const s = new Store();
    s.addIndex("owner", byControllerOwnerUID);
    const owned = (name: string, uid: string, rv: string) => ({
      ...cm(name, rv),
      metadata: {
        ...cm(name, rv).metadata,
        ownerReferences: [{ apiVersion: "v1", kind: "X", name: "x", uid, controller: true }],
      },
    });
    s.apply({ type: "Apply", object: owned("a", "u1", "1") });
    s.apply({ type: "Apply", object: owned("b", "u1", "2") });
    assert.deepEqual(s.byIndex("owner", "u1").map((o) => o.metadata.name).sort(), ["a", "b"]);
    s.apply({ type: "Apply", object: owned("b", "u2", "3") });
    assert.deepEqual(s.byIndex("owner", "u1").map((o) => o.metadata.name), ["a"]);
    s.apply({ type: "Delete", object: owned("a", "u1", "4") });
    assert.deepEqual(s.byIndex("owner", "u1"), []);
    s.apply({ type: "Init" });
    s.apply({ type: "InitApply", object: owned("c", "u1", "5") });
    s.apply({ type: "InitDone" });
    assert.deepEqual(s.byIndex("owner", "u1").map((o) => o.metadata.name), ["c"]);
    assert.deepEqual(s.byIndex("owner", "u2"), []);
  });

  it("latest: our write until the store receives any event for that key", () => {
    const s = new Store();
    s.apply({ type: "Apply", object: cm("a", "1", { k: "old" }) });
    s.noteWrite("1", cm("a", "2", { k: "new" }));
    assert.equal(valueOf(s.latest("ns/a")), "new", "the write, while the store holds the version it replaced");
    assert.equal(valueOf(s.get("ns/a")), "old", "get stays what the watch delivered");
    s.apply({ type: "Apply", object: cm("a", "3", { k: "other" }) });
    assert.equal(valueOf(s.latest("ns/a")), "other", "any event of the key ends it (here someone else's later write)");

    s.noteWrite(undefined, cm("b", "4"));
    assert.equal(s.latest("ns/b")?.metadata.resourceVersion, "4", "a create is visible before its ADDED event");
    s.apply({ type: "Delete", object: cm("b", "4") });
    assert.equal(s.latest("ns/b"), undefined, "a delete event ends it too");
  });

  it("latest: a write based on our previous write's answer outlives that answer's event", () => {
    const s = new Store();
    s.apply({ type: "Apply", object: cm("a", "1", { k: "v1" }) });
    s.noteWrite("1", cm("a", "2", { k: "v2" }));
    s.noteWrite("2", cm("a", "3", { k: "v3" }));
    s.apply({ type: "Apply", object: cm("a", "2", { k: "v2" }) });
    assert.equal(valueOf(s.latest("ns/a")), "v3", "the event of the first write is older than the second");
    s.apply({ type: "Apply", object: cm("a", "3", { k: "v3" }) });
    s.apply({ type: "Apply", object: cm("a", "4", { k: "v4" }) });
    assert.equal(valueOf(s.latest("ns/a")), "v4", "the second write's own event ended it");
    s.noteWrite("3", cm("a", "5", { k: "stale base" }));
    assert.equal(valueOf(s.latest("ns/a")), "v4", "the store holds someone else's version: the order is unknown, nothing kept");
  });

  it("latest: a later write of a pass based on the copy the pass started from still supersedes its first write", () => {
    // A deletion pass: status written from version 1 (→ 2), then the finalizer patched, based on version 1 too (→ 3).
    const s = new Store();
    s.apply({ type: "Apply", object: cm("a", "1", { k: "finalizer" }) });
    s.noteWrite("1", cm("a", "2", { k: "finalizer, status" }));
    s.noteWrite("1", cm("a", "3", { k: "no finalizer" }));
    assert.equal(valueOf(s.latest("ns/a")), "no finalizer");
    s.apply({ type: "Apply", object: cm("a", "2", { k: "finalizer, status" }) });
    assert.equal(valueOf(s.latest("ns/a")), "no finalizer", "the status write's event is older than the finalizer patch");

    // The same, with the status write's event delivered before the finalizer patch is noted.
    const t = new Store();
    t.apply({ type: "Apply", object: cm("b", "1", { k: "finalizer" }) });
    t.noteWrite("1", cm("b", "2", { k: "finalizer, status" }));
    t.apply({ type: "Apply", object: cm("b", "2", { k: "finalizer, status" }) });
    t.noteWrite("1", cm("b", "3", { k: "no finalizer" }));
    assert.equal(valueOf(t.latest("ns/b")), "no finalizer", "the store holds our own last write: the patch supersedes it");
  });

  it("latest: our delete hides the object until the watch delivers the deletion or a version the delete did not remove", () => {
    const s = new Store();
    s.apply({ type: "Apply", object: cm("a", "1") });
    s.noteDelete("ns/a");
    assert.equal(s.latest("ns/a"), undefined, "deleted, though the store still holds it");
    s.apply({ type: "Delete", object: cm("a", "1") });
    assert.equal(s.latest("ns/a"), undefined);
    s.apply({ type: "Apply", object: cm("a", "2") });
    assert.equal(s.latest("ns/a")?.metadata.resourceVersion, "2", "created again by someone: visible");
    s.noteDelete("ns/a");
    s.apply({ type: "Apply", object: cm("a", "3", { k: "finalizers keep it" }) });
    assert.equal(valueOf(s.latest("ns/a")), "finalizers keep it", "a version after the delete (it carries a deletionTimestamp)");
    s.noteDelete("ns/missing");
    assert.equal(s.latest("ns/missing"), undefined);
  });

  it("latest: our delete of our own create hides it before the watch delivered either (the create's ADDED comes first)", () => {
    // A pass creates a child; the next pass (spec changed) deletes it before the watch delivered the ADDED event.
    const s = new Store();
    s.noteWrite(undefined, cm("a", "1"));
    s.noteDelete("ns/a");
    assert.equal(s.latest("ns/a"), undefined, "deleted right after our create");
    s.apply({ type: "Apply", object: cm("a", "1") });
    assert.equal(s.latest("ns/a"), undefined, "the ADDED event of our create is older than our delete");
    s.apply({ type: "Delete", object: cm("a", "1") });
    assert.equal(s.latest("ns/a"), undefined);
    s.apply({ type: "Apply", object: cm("a", "2") });
    assert.equal(s.latest("ns/a")?.metadata.resourceVersion, "2", "created again by someone after the deletion: visible");
  });

  it("latest: keeps nothing for a write that changed nothing, one the store has passed, or across a relist", () => {
    const s = new Store();
    s.apply({ type: "Apply", object: cm("a", "5", { k: "v" }) });
    s.noteWrite("5", cm("a", "5", { k: "v" }));
    s.apply({ type: "Apply", object: cm("a", "6", { k: "theirs" }) });
    s.noteWrite("5", cm("a", "7", { k: "ours" }));
    assert.equal(valueOf(s.latest("ns/a")), "theirs", "the store no longer holds the replaced version 5: no claim about order");

    s.noteWrite("6", cm("a", "8", { k: "ours" }));
    s.apply({ type: "Init" });
    s.apply({ type: "InitApply", object: cm("a", "6", { k: "listed" }) });
    s.apply({ type: "InitDone" });
    assert.equal(valueOf(s.latest("ns/a")), "listed", "a relist replaces the store and forgets every noted write");
  });

  it("does not let a throwing index function break the store", () => {
    const s = new Store();
    s.addIndex("bad", () => {
      throw new Error("boom");
    });
    s.apply({ type: "Apply", object: cm("a", "1") });
    assert.equal(s.size(), 1);
    assert.deepEqual(s.byIndex("bad", "x"), []);
  });
});

describe("Informer", () => {

  it("writeThrough: the answer is what latest reads until the watch delivers it; deleteThrough hides the object", async () => {
    const i = informer(new FakeSource());
    i.store.apply({ type: "Apply", object: cm("a", "1", { k: "old" }) });
    const answer = await i.writeThrough("ns/a", () => Promise.resolve(cm("a", "2", { k: "new" })));
    assert.equal(valueOf(answer), "new");
    assert.equal(valueOf(i.latest("ns/a")), "new");
    assert.equal(valueOf(i.get("ns/a")), "old", "get is what the watch delivered");
    await i.deleteThrough("ns/a", () => Promise.resolve());
    assert.equal(i.latest("ns/a"), undefined);
    await assert.rejects(i.writeThrough("ns/b", () => Promise.reject(new Error("refused"))), /refused/);
    assert.equal(i.latest("ns/b"), undefined, "a failed write leaves nothing behind");
  });
  it("writeThrough: a write that removed the last finalizer of a deleting object reads as deleted", async () => {
    // The API server deletes such an object instead of updating it and answers with the request's object, which
    // keeps the resourceVersion it was based on: read as "nothing changed", the stale copy (finalizer still on)
    // stayed visible and the next pass patched a deleted object (404).
    const i = informer(new FakeSource());
    const deleting = (rv: string, finalizers?: string[]): KubeObject => ({ ...cm("a", rv), metadata: { ...cm("a", rv).metadata, deletionTimestamp: "2026-01-01T00:00:00Z", deletionGracePeriodSeconds: 0, ...(finalizers ? { finalizers } : {}) } });
    i.store.apply({ type: "Apply", object: deleting("7", ["example.com/f"]) });
    await i.writeThrough("ns/a", () => Promise.resolve(deleting("7")));
    assert.equal(i.latest("ns/a"), undefined, "gone, though the store still holds the copy with the finalizer");
    i.store.apply({ type: "Delete", object: deleting("8") });
    assert.equal(i.latest("ns/a"), undefined);
    // With a grace period (a pod the kubelet still stops) the object lives on: an ordinary write.
    i.store.apply({ type: "Apply", object: { ...deleting("9", ["example.com/f"]), metadata: { ...deleting("9", ["example.com/f"]).metadata, deletionGracePeriodSeconds: 30 } } });
    await i.writeThrough("ns/a", () => Promise.resolve({ ...deleting("10"), metadata: { ...deleting("10").metadata, deletionGracePeriodSeconds: 30 } }));
    assert.equal(i.latest("ns/a")?.metadata.resourceVersion, "10");
  });
  it("becomes synced at the first InitDone and delivers events to handlers", async () => {
    const source = new FakeSource();
    source.listScript.push(list("5", [cm("a", "5")]));
    const i = informer(source);
    const seen: string[] = [];
    i.addEventHandler({
      add: (o) => seen.push(`add:${o.metadata.name}`),
      update: (_o, n) => seen.push(`update:${n.metadata.name}`),
      delete: (o) => seen.push(`delete:${o.metadata.name}`),
    });
    assert.equal(i.hasSynced(), false);
    i.start();
    assert.equal(await i.waitForSync(), true);
    await settle();
    source.lastStream().frames({ type: "MODIFIED", object: cm("a", "6") }, { type: "DELETED", object: cm("a", "7") });
    await settle();
    assert.deepEqual(seen, ["add:a", "update:a", "delete:a"]);
  });

  it("replays current objects to a handler added after sync", async () => {
    const source = new FakeSource();
    source.listScript.push(list("5", [cm("a", "5"), cm("b", "5")]));
    const i = informer(source);
    i.start();
    await i.waitForSync();
    const seen: string[] = [];
    i.addEventHandler({ add: (o) => seen.push(o.metadata.name!) });
    assert.deepEqual(seen.sort(), ["a", "b"]);
  });

  it("never lets a throwing or rejecting handler escape", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => {
      unhandled.push(e);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
      const source = new FakeSource();
      source.listScript.push(list("5", [cm("a", "5")]));
      const i = informer(source);
      const later: string[] = [];
      i.addEventHandler({
        add: () => Promise.reject(new Error("async boom")),
        update: () => {
          throw new Error("sync boom");
        },
      });
      i.addEventHandler({ update: (_o, n) => later.push(n.metadata.resourceVersion!) });
      i.start();
      await i.waitForSync();
      await settle();
      source.lastStream().frames({ type: "MODIFIED", object: cm("a", "6") });
      await settle();
      await settle();
      assert.deepEqual(later, ["6"], "the next handler still ran");
      assert.deepEqual(unhandled, []);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("resyncs every period with old === new", async () => {
    const clock = new FakeClock();
    const source = new FakeSource();
    source.listScript.push(list("5", [cm("a", "5")]));
    const i = informer(source, clock, 60_000);
    const resyncs: boolean[] = [];
    i.addEventHandler({ update: (o, n) => resyncs.push(o === n) });
    i.start();
    await i.waitForSync();
    await clock.advance(59_999);
    assert.deepEqual(resyncs, []);
    await clock.advance(1);
    assert.deepEqual(resyncs, [true]);
    await clock.advance(60_000);
    assert.deepEqual(resyncs, [true, true]);
  });

  it("waitForSync answers false when its signal aborts first", async () => {
    const source = new FakeSource();
    source.listScript.push(new Error("down"));
    const i = informer(source);
    i.start();
    const abort = new AbortController();
    const waiting = i.waitForSync(abort.signal);
    abort.abort();
    assert.equal(await waiting, false);
  });
});
