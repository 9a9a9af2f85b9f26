import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../../src/runtime/clock.ts";
import { ApiError } from "../../../src/runtime/errors.ts";
import {
  EventRecorder,
  microTime,
  truncateUtf8,
  type EventRecorderOptions,
  type EventSink,
  type EventsV1Event,
  type ObjectReference,
  type PublishedEvent,
} from "../../../src/runtime/events.ts";

/** The fakes fail the way the real transport does: with an ApiError carrying the HTTP code and Status reason. */
const apiError = (code: number, reason: string): ApiError => new ApiError(code, reason, `${code} ${reason}`, "");

interface SinkCall {
  verb: "create" | "patch";
  namespace: string;
  name: string;
  body: object;
  at: number;
}

/** In-memory events API with the server-side rules that matter here (names unique, series-only patches). */
class FakeEventSink implements EventSink {
  readonly stored = new Map<string, EventsV1Event>();
  readonly calls: SinkCall[] = [];
  /** Errors to throw from the next calls, in order (undefined entries let a call through). */
  readonly failures: (Error | undefined)[] = [];
  /** While set, calls wait on this promise (a hung connection). */
  gate: Promise<void> | undefined;
  private readonly clock: FakeClock;

  constructor(clock: FakeClock) {
    this.clock = clock;
  }

  async create(namespace: string, event: EventsV1Event): Promise<EventsV1Event> {
    const name = event.metadata.name!;
    this.calls.push({ verb: "create", namespace, name, body: structuredClone(event), at: this.clock.now() });
    await this.gate;
    const failure = this.failures.shift();
    if (failure) throw failure;
    assert.ok(Buffer.byteLength(event.reason) <= 128 && Buffer.byteLength(event.action) <= 128);
    assert.ok(Buffer.byteLength(event.note ?? "") <= 1024);
    if (event.series) assert.ok(event.series.count >= 2);
    if (this.stored.has(`${namespace}/${name}`)) throw apiError(409, "AlreadyExists");
    this.stored.set(`${namespace}/${name}`, structuredClone(event));
    return event;
  }

  async patch(namespace: string, name: string, mergePatch: object): Promise<EventsV1Event> {
    this.calls.push({ verb: "patch", namespace, name, body: structuredClone(mergePatch), at: this.clock.now() });
    await this.gate;
    const failure = this.failures.shift();
    if (failure) throw failure;
    assert.deepEqual(Object.keys(mergePatch), ["series"], "only series may change on an events.k8s.io/v1 Event");
    const current = this.stored.get(`${namespace}/${name}`);
    if (!current) throw apiError(404, "NotFound");
    const updated = { ...current, ...(mergePatch as Partial<EventsV1Event>) };
    this.stored.set(`${namespace}/${name}`, updated);
    return updated;
  }

  verbs(): string[] {
    return this.calls.map((c) => c.verb);
  }
}

const pod = (name = "srv", namespace = "ns1"): ObjectReference => ({
  apiVersion: "dittofs.dittofs.com/v1alpha1",
  kind: "DittoServer",
  namespace,
  name,
  uid: `uid-${name}`,
});

const warning = (over: Partial<PublishedEvent> = {}): PublishedEvent => ({
  regarding: pod(),
  type: "Warning",
  reason: "ReconcileFailed",
  action: "Reconcile",
  note: "could not apply StatefulSet",
  ...over,
});

function setup(over: Partial<EventRecorderOptions> = {}): {
  clock: FakeClock;
  sink: FakeEventSink;
  rec: EventRecorder;
} {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const sink = new FakeEventSink(clock);
  const rec = new EventRecorder({
    sink,
    reportingController: "dittofs-operator",
    reportingInstance: "dittofs-operator-host1",
    clock,
    random: () => 0.5,
    ...over,
  });
  return { clock, sink, rec };
}

describe("EventRecorder series", () => {
  it("POSTs the first occurrence as a complete events.k8s.io/v1 Event", async () => {
    const { clock, sink, rec } = setup();
    rec.publish(warning({ related: { kind: "StatefulSet", namespace: "ns1", name: "srv" } }));
    await rec.flush();
    assert.deepEqual(sink.verbs(), ["create"]);
    const ev = [...sink.stored.values()][0]!;
    assert.match(ev.metadata.name!, /^srv\.[0-9a-f]+$/);
    const nanos = BigInt(`0x${ev.metadata.name!.split(".")[1]!}`);
    assert.ok(nanos >= BigInt(clock.now()) * 1_000_000n && nanos < BigInt(clock.now() + 1) * 1_000_000n);
    assert.equal(ev.metadata.namespace, "ns1");
    assert.equal(ev.eventTime, "2026-01-01T00:00:00.000000Z");
    assert.equal(ev.series, undefined);
    assert.equal(ev.type, "Warning");
    assert.equal(ev.reason, "ReconcileFailed");
    assert.equal(ev.action, "Reconcile");
    assert.equal(ev.note, "could not apply StatefulSet");
    assert.equal(ev.reportingController, "dittofs-operator");
    assert.equal(ev.reportingInstance, "dittofs-operator-host1");
    assert.deepEqual(ev.regarding, pod());
    assert.deepEqual(ev.related, { kind: "StatefulSet", namespace: "ns1", name: "srv" });
  });

  it("PATCHes series {count: 2, lastObservedTime} on the second occurrence", async () => {
    const { clock, sink, rec } = setup();
    rec.publish(warning());
    await rec.flush();
    await clock.advance(1500);
    rec.publish(warning());
    await rec.flush();
    assert.deepEqual(sink.verbs(), ["create", "patch"]);
    assert.deepEqual(sink.calls[1]!.body, { series: { count: 2, lastObservedTime: microTime(clock.now()) } });
    assert.equal(sink.calls[1]!.name, sink.calls[0]!.name);
  });

  it("counts later repeats in memory and writes them on the periodic flush", async () => {
    const { clock, sink, rec } = setup();
    rec.publish(warning());
    await rec.flush();
    rec.publish(warning());
    await clock.advance(1);
    for (let i = 0; i < 5; i++) {
      await clock.advance(1000);
      rec.publish(warning());
    }
    const lastSeen = clock.now();
    assert.deepEqual(sink.verbs(), ["create", "patch"], "repeats 3..7 cause no immediate write");
    await clock.advance(30_000);
    assert.deepEqual(sink.verbs(), ["create", "patch", "patch"]);
    assert.deepEqual(sink.calls[2]!.body, { series: { count: 7, lastObservedTime: microTime(lastSeen) } });
    assert.equal(sink.stored.size, 1, "one series, one Event object");
    await clock.advance(30_000);
    assert.equal(sink.calls.length, 3, "no write when nothing changed");
  });

  it("opens a new series when the note differs, so every Event's note describes all of its occurrences", async () => {
    const { clock, sink, rec } = setup();
    const created = (children: string) => warning({ type: "Normal", reason: "ChildrenCreated", action: "Create", note: `created ${children}` });
    rec.publish(created("ConfigMap/srv-config, StatefulSet/srv"));
    await rec.flush();
    await clock.advance(1000);
    rec.publish(created("Service/srv-api"));
    await rec.flush();
    await clock.advance(1000);
    rec.publish(created("Service/srv-api"));
    await rec.flush();
    assert.deepEqual(sink.verbs(), ["create", "create", "patch"], "the second note is its own Event; its repeat PATCHes that one");
    const events = [...sink.stored.values()];
    assert.deepEqual(
      events.map((e) => [e.note, e.series?.count ?? 1]),
      [["created ConfigMap/srv-config, StatefulSet/srv", 1], ["created Service/srv-api", 2]],
    );
    // The newest occurrence is the one with the latest lastObservedTime/eventTime, and it carries its own note.
    const latest = events.reduce((a, b) => ((b.series?.lastObservedTime ?? b.eventTime) > (a.series?.lastObservedTime ?? a.eventTime) ? b : a));
    assert.equal(latest.note, "created Service/srv-api");
    assert.equal(sink.calls[2]!.name, sink.calls[1]!.name);
  });

  it("bounds the series a churning note can open with the per-object spam bucket", async () => {
    const { sink, rec } = setup({ spamBurst: 3 });
    for (let i = 0; i < 10; i++) rec.publish(warning({ note: `attempt ${i}` }));
    await rec.flush();
    assert.equal(sink.stored.size, 3);
    assert.equal(rec.stats().droppedSpam, 7);
  });

  it("keeps different reasons, types, actions and objects in separate series", async () => {
    const { sink, rec } = setup();
    rec.publish(warning());
    rec.publish(warning({ reason: "Other" }));
    rec.publish(warning({ type: "Normal" }));
    rec.publish(warning({ action: "Delete" }));
    rec.publish(warning({ regarding: pod("other") }));
    rec.publish(warning({ related: { kind: "Secret", name: "s" } }));
    await rec.flush();
    assert.deepEqual(sink.verbs(), Array(6).fill("create"));
    assert.equal(new Set(sink.calls.map((c) => c.name)).size, 6);
  });

  it("re-creates the Event when the series PATCH answers 404", async () => {
    const { sink, rec } = setup();
    rec.publish(warning());
    await rec.flush();
    sink.stored.clear(); // expired by the API server's event TTL
    rec.publish(warning());
    await rec.flush();
    assert.deepEqual(sink.verbs(), ["create", "patch", "create"]);
    const recreated = [...sink.stored.values()][0]!;
    assert.equal(recreated.series?.count, 2);
    assert.equal(recreated.metadata.name, sink.calls[0]!.name);
  });

  it("puts events of cluster-scoped objects in the default namespace", async () => {
    const { sink, rec } = setup();
    rec.publish(warning({ regarding: { apiVersion: "v1", kind: "Node", name: "n1" } }));
    await rec.flush();
    assert.equal(sink.calls[0]!.namespace, "default");
  });
});

describe("EventRecorder limits", () => {
  it("truncates reason and action to 128 bytes and note to 1024 bytes without splitting characters", async () => {
    const { sink, rec } = setup();
    rec.publish(warning({ reason: "R".repeat(300), action: "A".repeat(129), note: "é".repeat(2000) }));
    await rec.flush();
    const ev = [...sink.stored.values()][0]!;
    assert.equal(ev.reason, "R".repeat(128));
    assert.equal(ev.action, "A".repeat(128));
    assert.ok(Buffer.byteLength(ev.note!) <= 1024);
    assert.ok(ev.note!.endsWith("é…"), "cut on a character boundary and marked");
    assert.ok(!ev.note!.includes("\uFFFD"));
  });

  it("truncateUtf8 leaves short strings alone", () => {
    assert.equal(truncateUtf8("abc", 3), "abc");
    assert.equal(truncateUtf8("a€b", 3), "a");
  });

  it("lets one object open 25 series, then one more per 300 s; other objects are unaffected", async () => {
    const { clock, sink, rec } = setup();
    for (let i = 0; i < 30; i++) rec.publish(warning({ reason: `Reason${i}` }));
    rec.publish(warning({ regarding: pod("quiet") }));
    await rec.flush();
    assert.equal(sink.calls.filter((c) => c.name.startsWith("srv.")).length, 25);
    assert.equal(sink.calls.filter((c) => c.name.startsWith("quiet.")).length, 1);
    assert.equal(rec.stats().droppedSpam, 5);
    rec.publish(warning({ reason: "Reason0" }));
    await rec.flush();
    assert.equal(sink.calls.at(-1)!.verb, "patch", "repeats of an existing series are not charged");
    await clock.advance(300_000);
    rec.publish(warning({ reason: "Late1" }));
    rec.publish(warning({ reason: "Late2" }));
    await rec.flush();
    assert.equal(sink.calls.filter((c) => c.verb === "create" && c.name.startsWith("srv.")).length, 26);
  });

  it("drops new events once 1000 writes are waiting, and never blocks the caller", async () => {
    const { sink, rec } = setup();
    let release!: () => void;
    sink.gate = new Promise((r) => (release = r));
    for (let i = 0; i < 1005; i++) rec.publish(warning({ regarding: pod(`o${i}`) }));
    await new Promise((r) => setImmediate(r));
    // The sender starts after the publishing code yields: 1000 were buffered (one of them now in flight), 5 dropped.
    assert.equal(rec.stats().droppedBufferFull, 5);
    assert.equal(rec.stats().pending, 999);
    assert.equal(sink.calls.length, 1);
    sink.gate = undefined;
    release();
    await rec.flush();
    assert.equal(sink.stored.size, 1000);
  });

  it("drops invalid events without throwing", async () => {
    const { sink, rec } = setup();
    rec.publish(warning({ reason: "" }));
    rec.publish(warning({ action: "" }));
    rec.publish(warning({ regarding: { kind: "Pod" } }));
    rec.publish({ ...warning(), type: "Error" as unknown as "Warning" });
    await rec.flush();
    assert.equal(sink.calls.length, 0);
    assert.equal(rec.stats().droppedInvalid, 4);
  });
});

describe("EventRecorder delivery", () => {
  it("retries transport errors 10 s (+ jitter) apart and then succeeds", async () => {
    const { clock, sink, rec } = setup();
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    sink.failures.push(reset, apiError(503, "ServiceUnavailable"));
    rec.publish(warning());
    await clock.advance(0);
    assert.equal(sink.calls.length, 1);
    await clock.advance(11_249);
    assert.equal(sink.calls.length, 1, "waits retryDelay × (1 + 0.25 × random)");
    await clock.advance(1);
    assert.equal(sink.calls.length, 2);
    await clock.advance(11_250);
    assert.equal(sink.calls.length, 3);
    assert.equal(sink.stored.size, 1);
  });

  it("gives up after 12 tries of a failing transport", async () => {
    const { clock, sink, rec } = setup();
    for (let i = 0; i < 20; i++) sink.failures.push(new Error("connect ECONNREFUSED"));
    rec.publish(warning());
    await clock.advance(10 * 60_000);
    assert.equal(sink.calls.length, 12, "no further tries from the periodic flush either");
    assert.equal(rec.stats().cached, 0, "evicted once idle");
  });

  it("does not retry API refusals and forgets the refused event", async () => {
    const { sink, rec } = setup();
    sink.failures.push(apiError(403, "Forbidden"));
    rec.publish(warning());
    await rec.flush();
    assert.equal(sink.calls.length, 1);
    assert.equal(rec.stats().cached, 0);
    rec.publish(warning());
    await rec.flush();
    assert.deepEqual(sink.verbs(), ["create", "create"], "the next occurrence starts a new series");
  });

  it("treats AlreadyExists on a retried POST as created and PATCHes from then on", async () => {
    const { sink, rec } = setup();
    rec.publish(warning());
    await rec.flush();
    // Simulate a lost answer: the recorder believes the POST failed, the server has the object.
    const [series] = (rec as unknown as { cache: Map<string, { persisted: boolean }> }).cache.values();
    series!.persisted = false;
    rec.publish(warning());
    await rec.flush();
    assert.deepEqual(sink.verbs(), ["create", "create", "patch"]);
    assert.equal([...sink.stored.values()][0]!.series?.count, 2);
  });

  it("sends a final write for idle series after 6 min, evicts them, and starts afresh later", async () => {
    const { clock, sink, rec } = setup();
    rec.publish(warning());
    rec.publish(warning());
    rec.publish(warning());
    await rec.flush();
    assert.equal(rec.stats().cached, 1);
    await clock.advance(7 * 60_000);
    assert.equal(rec.stats().cached, 0);
    assert.equal((sink.calls.at(-1)!.body as { series: { count: number } }).series.count, 3);
    rec.publish(warning());
    await rec.flush();
    assert.equal(sink.calls.at(-1)!.verb, "create");
    assert.notEqual(sink.calls.at(-1)!.name, sink.calls[0]!.name);
  });

  it("re-sends active series every 30 min even when the count did not change (heartbeat)", async () => {
    const { clock, sink, rec } = setup();
    rec.publish(warning());
    rec.publish(warning());
    await rec.flush();
    // Keep the series alive (a repeat every 5 min) and look for a write that carries no new count.
    for (let t = 0; t < 6; t++) {
      await clock.advance(5 * 60_000);
      rec.publish(warning());
      await clock.advance(1);
    }
    const patches = sink.calls.filter((c) => c.verb === "patch");
    const counts = patches.map((c) => (c.body as { series: { count: number } }).series.count);
    const repeated = counts.some((c, i) => i > 0 && c === counts[i - 1]);
    assert.ok(repeated, `expected a heartbeat re-send, counts were ${counts.join(",")}`);
  });

  it("stop() makes one last attempt at pending counts without waiting for retries", async () => {
    const { sink, rec } = setup();
    rec.publish(warning());
    await rec.flush();
    rec.publish(warning());
    rec.publish(warning());
    sink.failures.push(new Error("ECONNRESET"));
    await rec.stop(); // the fake clock never advances: any retry sleep would hang here
    rec.publish(warning({ reason: "AfterStop" }));
    await rec.flush();
    assert.ok(!sink.calls.some((c) => (c.body as EventsV1Event).reason === "AfterStop"));
  });

  it("survives a sink that throws synchronously", async () => {
    const { rec } = setup({
      sink: {
        create: () => {
          throw new Error("not a promise");
        },
        patch: () => {
          throw new Error("not a promise");
        },
      },
      maxTries: 2,
    });
    rec.publish(warning());
    await rec.stop();
    assert.equal(rec.stats().pending, 0);
  });
});
