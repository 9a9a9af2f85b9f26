/** The pure core of the bound-resource controller: server resolution, failure classes, next status, events. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DittoFsError } from "../../../src/dittofs/errors.ts";
import type { BoundObject } from "../../../src/serverbound/kind.ts";
import { boundStatusEqual, classifyFailure, failureVerdict, nextBoundStatus, resolveServer, transitionEvents, unresolvedVerdict } from "../../../src/serverbound/status.ts";
import { server } from "../dittoserver/fixtures.ts";

const NOW = 1_750_000_000_000;
const bound = (status?: BoundObject["status"], generation = 3): BoundObject => ({ apiVersion: "x/v1", kind: "Thing", metadata: { name: "t", namespace: "team-a", generation }, spec: { serverRef: { name: "fs1" } }, ...(status ? { status } : {}) });
const session = { ok: true as const, api: {} as never, token: "tok", where: "10.0.0.1:8080" };

describe("resolveServer", () => {
  it("missing, deleting, without a session, or ready with the borrowed session", () => {
    const borrowOk = () => session;
    assert.equal(resolveServer("fs1", undefined, borrowOk).kind, "missing");
    assert.equal(resolveServer("fs1", server({}, { deletionTimestamp: "2026-01-01T00:00:00Z" }), borrowOk).kind, "deleting");
    const none = resolveServer("fs1", server(), () => ({ ok: false, reason: "AuthenticationFailed", message: "admin password refused" }));
    assert.equal(none.kind, "noSession");
    assert.equal(none.kind === "noSession" && none.message, "admin password refused");
    const ready = resolveServer("fs1", server(), borrowOk);
    assert.equal(ready.kind === "ready" && ready.session.token, "tok");
  });

  it("the verdicts name the server and, without a session, carry the server's own message", () => {
    assert.match(unresolvedVerdict({ kind: "missing", name: "fs1" }, "team-a").message, /DittoServer fs1 not found in namespace team-a/);
    assert.equal(unresolvedVerdict({ kind: "deleting", name: "fs1" }, "team-a").reason, "ServerDeleting");
    const v = unresolvedVerdict({ kind: "noSession", name: "fs1", server: server(), message: "admin password refused" }, "team-a");
    assert.deepEqual([v.status, v.reason], ["False", "ServerNotReady"]);
    assert.match(v.message, /fs1.*admin password refused/);
  });
});

describe("classifyFailure", () => {
  const err = (kind: ConstructorParameters<typeof DittoFsError>[0], status: number) => new DittoFsError(kind, status, "POST", "/api/v1/shares", `HTTP ${status}: nope`);
  it("401 logs in again; 5xx, timeouts and TLS back off; other 4xx wait for a change", () => {
    assert.deepEqual(classifyFailure(err("unauthorized", 401)), { kind: "unauthorized" });
    assert.equal(classifyFailure(err("transient", 503))?.kind, "transient");
    assert.equal(classifyFailure(err("tls", 0))?.kind, "transient");
    for (const [kind, status] of [["rejected", 400], ["conflict", 409], ["forbidden", 403], ["notFound", 404]] as const) assert.equal(classifyFailure(err(kind, status))?.kind, "rejected");
    assert.equal(classifyFailure(new TypeError("bug")), undefined, "not a DittoFS failure: a bug for the work queue");
  });

  it("the verdict carries the server's message", () => {
    const v = failureVerdict({ kind: "rejected", message: "HTTP 400: invalid squash" }, "10.0.0.1:8080");
    assert.deepEqual([v.reason, v.status], ["APIRejected", "False"]);
    assert.match(v.message, /10\.0\.0\.1:8080.*invalid squash/);
    assert.equal(failureVerdict({ kind: "transient", message: "x" }, "w").reason, "APIUnreachable");
  });
});

describe("nextBoundStatus", () => {
  const ok = { status: "True" as const, reason: "InSync", message: "in sync" };
  it("sets Ready and Synced at the generation, with the kind's fields", () => {
    const next = nextBoundStatus(bound(), { share: { id: "s1" } }, ok, ok, NOW);
    assert.equal(next.observedGeneration, 3);
    assert.deepEqual(next.share, { id: "s1" });
    assert.deepEqual(next.conditions?.map((c) => [c.type, c.status, c.reason, c.observedGeneration]), [["Ready", "True", "InSync", 3], ["Synced", "True", "InSync", 3]]);
  });

  it("keeps the current fields when the pass produced none, and the transition time while the status holds", () => {
    const first = nextBoundStatus(bound(), { share: { id: "s1" } }, ok, ok, NOW);
    const later = nextBoundStatus(bound(first), undefined, ok, ok, NOW + 60_000);
    assert.deepEqual(later.share, { id: "s1" });
    assert.ok(boundStatusEqual(first, later), "nothing changed: no write");
    const missing = { status: "False" as const, reason: "ServerNotFound", message: "gone" };
    const changed = nextBoundStatus(bound(first), undefined, missing, missing, NOW + 60_000);
    assert.ok(!boundStatusEqual(first, changed));
    assert.notEqual(changed.conditions?.[0]?.lastTransitionTime, first.conditions?.[0]?.lastTransitionTime);
  });
});

describe("transitionEvents", () => {
  const cond = (status: "True" | "False", reason: string) => [{ type: "Synced", status, reason, message: `m-${reason}`, lastTransitionTime: "t" }];
  it("one event per change of Synced's status or reason, none otherwise", () => {
    assert.deepEqual(transitionEvents(undefined, cond("True", "InSync")).map((e) => [e.type, e.reason]), [["Normal", "InSync"]]);
    assert.deepEqual(transitionEvents(cond("True", "InSync"), cond("True", "InSync")), []);
    assert.deepEqual(transitionEvents(cond("True", "InSync"), cond("False", "ServerNotFound")).map((e) => [e.type, e.reason, e.message]), [["Warning", "ServerNotFound", "m-ServerNotFound"]]);
    assert.deepEqual(transitionEvents(cond("False", "APIUnreachable"), cond("False", "APIRejected")).map((e) => e.reason), ["APIRejected"]);
  });
});
