import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { Backoff } from "../../../src/runtime/backoff.ts";
import { FakeClock } from "../../../src/runtime/clock.ts";
import { ApiError } from "../../../src/runtime/errors.ts";
import { Watcher } from "../../../src/runtime/watcher.ts";
import type { RestartReason, WatcherEvent } from "../../../src/runtime/watcher.ts";
import { cm, FakeSource, list, settle } from "./fake-source.ts";

interface Harness {
  clock: FakeClock;
  source: FakeSource;
  watcher: Watcher;
  events: WatcherEvent[];
  errors: { reason: RestartReason; retryInMs: number; err: unknown }[];
  stop(): Promise<void>;
}

const running: Harness[] = [];

/** A watcher on a fake source, with random() = 0 (timeoutSeconds 300, no jitter). */
function start(setup: (s: FakeSource) => void = () => undefined): Harness {
  const clock = new FakeClock();
  const source = new FakeSource();
  setup(source);
  const events: WatcherEvent[] = [];
  const errors: Harness["errors"] = [];
  const watcher = new Watcher({
    source,
    clock,
    random: () => 0,
    onEvent: (e) => events.push(e),
    onError: (err, reason, retryInMs) => errors.push({ err, reason, retryInMs }),
  });
  const abort = new AbortController();
  const done = watcher.run(abort.signal);
  const h: Harness = {
    clock,
    source,
    watcher,
    events,
    errors,
    async stop() {
      abort.abort();
      await done;
    },
  };
  running.push(h);
  return h;
}

afterEach(async () => {
  for (const h of running.splice(0)) await h.stop();
});

const names = (events: WatcherEvent[]): string[] =>
  events.map((e) => ("object" in e ? `${e.type}:${e.object.metadata.name}` : e.type));

const gone = (): ApiError => new ApiError(410, "Expired", "too old resource version", "");

describe("Watcher list phase", () => {
  it("pages through the list, then watches from the list's resourceVersion", async () => {
    const h = start((s) => s.listScript.push(list("", [cm("a", "5")], "tok"), list("9", [cm("b", "7")])));
    await settle();
    assert.deepEqual(names(h.events), ["Init", "InitApply:a", "InitApply:b", "InitDone"]);
    assert.deepEqual(h.source.listCalls, [
      { limit: 500, continue: undefined, resourceVersion: "0" },
      { limit: 500, continue: "tok", resourceVersion: undefined },
    ]);
    assert.equal(h.source.watchCalls.length, 1);
    const w = h.source.watchCalls[0]!;
    assert.equal(w.resourceVersion, "9");
    assert.equal(w.allowWatchBookmarks, true);
    assert.ok(w.timeoutSeconds >= 300 && w.timeoutSeconds < 600);
    assert.deepEqual(h.watcher.state(), { phase: "Watching", resourceVersion: "9" });
  });

  it("retries a failed list after backoff, starting over", async () => {
    const h = start((s) => s.listScript.push(new Error("connection refused"), list("3", [cm("a", "3")])));
    await settle();
    assert.equal(h.source.listCalls.length, 1);
    assert.equal(h.errors[0]?.reason, "error");
    assert.equal(h.errors[0]?.retryInMs, 800);
    await h.clock.advance(799);
    assert.equal(h.source.listCalls.length, 1);
    await h.clock.advance(1);
    assert.equal(h.source.listCalls.length, 2);
    assert.deepEqual(names(h.events), ["Init", "Init", "InitApply:a", "InitDone"]);
  });
});

describe("Watcher watch phase", () => {
  it("emits applies and deletes, and takes the resourceVersion from every frame including bookmarks", async () => {
    const h = start((s) => s.listScript.push(list("10", [])));
    await settle();
    const stream = h.source.lastStream();
    stream.frames(
      { type: "ADDED", object: cm("a", "11") },
      { type: "MODIFIED", object: cm("a", "12") },
      { type: "DELETED", object: cm("a", "13") },
      { type: "BOOKMARK", object: { kind: "ConfigMap", metadata: { resourceVersion: "20" } } },
    );
    await settle();
    assert.deepEqual(names(h.events).slice(2), ["Apply:a", "Apply:a", "Delete:a"]);
    assert.deepEqual(h.watcher.state(), { phase: "Watching", resourceVersion: "20" });
  });

  it("re-watches from the last resourceVersion at once when the server ends the stream", async () => {
    const h = start((s) => s.listScript.push(list("10", [])));
    await settle();
    h.source.lastStream().frames({ type: "BOOKMARK", object: { metadata: { resourceVersion: "15" } } });
    h.source.lastStream().end();
    await settle();
    assert.equal(h.source.listCalls.length, 1, "no relist");
    assert.equal(h.source.watchCalls.length, 2);
    assert.equal(h.source.watchCalls[1]!.resourceVersion, "15");
    assert.equal(h.errors.length, 0);
  });

  it("relists with a consistent read after a 410 ERROR frame and never re-watches the stale version", async () => {
    const h = start((s) => s.listScript.push(list("10", [cm("a", "1"), cm("b", "2")]), list("50", [cm("b", "40")])));
    await settle();
    h.source.lastStream().frames({
      type: "ERROR",
      object: { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 10 (45)" },
    });
    await settle();
    assert.equal(h.errors[0]?.reason, "expired");
    assert.equal(h.source.listCalls.length, 2);
    assert.equal(h.source.listCalls[1]!.resourceVersion, "", "relist is a consistent read");
    assert.deepEqual(
      h.source.watchCalls.map((w) => w.resourceVersion),
      ["10", "50"],
    );
    assert.deepEqual(names(h.events).slice(4), ["Init", "InitApply:b", "InitDone"]);
  });

  it("relists after an HTTP 410 on the watch request", async () => {
    const h = start((s) => {
      s.listScript.push(list("10", []), list("60", []));
      s.watchScript.push(gone());
    });
    await settle();
    assert.equal(h.source.listCalls.length, 2);
    assert.deepEqual(
      h.source.watchCalls.map((w) => w.resourceVersion),
      ["10", "60"],
    );
  });

  it("backs off on a second 410 in a row instead of spinning", async () => {
    const h = start((s) => {
      s.listScript.push(list("10", []), list("11", []), list("12", []));
      s.watchScript.push(gone(), gone());
    });
    await settle();
    assert.equal(h.source.listCalls.length, 2);
    assert.equal(h.errors[1]?.retryInMs, 800);
    await h.clock.advance(800);
    assert.equal(h.source.listCalls.length, 3);
  });

  it("keeps the resourceVersion and re-watches after backoff on other errors", async () => {
    const h = start((s) => s.listScript.push(list("10", [])));
    await settle();
    h.source.lastStream().frames({ type: "ADDED", object: cm("a", "11") });
    h.source.lastStream().frames({ type: "ERROR", object: { kind: "Status", code: 500, message: "etcd timeout" } });
    await settle();
    assert.equal(h.errors[0]?.reason, "error");
    assert.equal(h.source.watchCalls.length, 1);
    await h.clock.advance(800);
    assert.equal(h.source.listCalls.length, 1, "no relist");
    assert.deepEqual(
      h.source.watchCalls.map((w) => w.resourceVersion),
      ["10", "11"],
    );
  });

  it("surfaces a malformed frame as an error and resumes from the last good resourceVersion", async () => {
    const h = start((s) => s.listScript.push(list("10", [])));
    await settle();
    h.source.lastStream().frames({ type: "ADDED", object: cm("a", "11") });
    h.source.lastStream().push("{garbage\n");
    await settle();
    assert.match(String(h.errors[0]?.err), /not JSON/);
    await h.clock.advance(800);
    assert.equal(h.source.watchCalls.at(-1)!.resourceVersion, "11");
  });

  it("honours Retry-After on 429", async () => {
    const h = start((s) => {
      s.listScript.push(list("10", []));
      s.watchScript.push(new ApiError(429, "TooManyRequests", "slow down", "", 7));
    });
    await settle();
    assert.equal(h.errors[0]?.retryInMs, 7000);
    await h.clock.advance(6999);
    assert.equal(h.source.watchCalls.length, 1);
    await h.clock.advance(1);
    assert.equal(h.source.watchCalls.length, 2);
  });

  it("aborts a silent (half-open) watch after timeoutSeconds + 5 s and re-watches", async () => {
    const h = start((s) => s.listScript.push(list("10", [])));
    await settle();
    const first = h.source.watchCalls[0]!;
    assert.equal(first.timeoutSeconds, 300);
    await h.clock.advance(200_000);
    first.stream.push(" "); // any byte resets the idle timer
    await settle();
    await h.clock.advance(304_999);
    assert.equal(first.signal.aborted, false);
    await h.clock.advance(1);
    assert.equal(first.signal.aborted, true);
    assert.equal(h.errors[0]?.reason, "idle-timeout");
    await h.clock.advance(800);
    assert.equal(h.source.watchCalls.length, 2);
    assert.equal(h.source.watchCalls[1]!.resourceVersion, "10");
  });

  it("has aborted the previous request whenever it opens a new one", async () => {
    const h = start((s) => s.listScript.push(list("10", [])));
    await settle();
    for (let i = 0; i < 3; i++) {
      h.source.lastStream().end();
      await settle();
    }
    const calls = h.source.watchCalls;
    assert.equal(calls.length, 4);
    for (const c of calls.slice(0, -1)) assert.equal(c.signal.aborted, true);
    assert.equal(calls.at(-1)!.signal.aborted, false);
  });

  it("aborts the open watch when stopped", async () => {
    const h = start();
    await settle();
    const call = h.source.watchCalls[0]!;
    await h.stop();
    assert.equal(call.signal.aborted, true);
  });
});

describe("Backoff", () => {
  it("doubles from 0.8 s, caps at 30 s and resets after 2 min without failures", async () => {
    const clock = new FakeClock();
    const b = new Backoff(clock, { random: () => 0 });
    const delays = Array.from({ length: 8 }, () => b.next());
    assert.deepEqual(delays, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
    await clock.advance(120_001);
    assert.equal(b.next(), 800);
  });

  it("adds jitter on top of the base delay without exceeding the cap", () => {
    const b = new Backoff(new FakeClock(), { random: () => 0.5 });
    assert.equal(b.next(), 1200);
    for (let i = 0; i < 10; i++) assert.ok(b.next() <= 30_000);
  });
});
