import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DittoServer } from "../../../src/api/types.ts";
import type { Write } from "../../../src/dittoserver/executor.ts";
import { isPermanentRefusal, MAX_RETRY_FLOOR_MS, refusalMessage, refusalOf, retryFloorMs, standingRefusal } from "../../../src/dittoserver/retries.ts";
import { apiErrorFromStatus } from "../../../src/runtime/errors.ts";
import type { Status } from "../../../src/runtime/errors.ts";
import { CORE } from "../../../src/runtime/resources.ts";

const causes = [
  { reason: "FieldValueInvalid", field: "spec.template.spec.nodeSelector", message: "Invalid value: \"Bad Key\": name part must consist of alphanumeric characters" },
  { reason: "FieldValueInvalid", field: "spec.template.metadata.labels", message: "Invalid value: \"${HOME}\": a valid label must be an empty string or consist of alphanumeric characters" },
];

function invalid(order: typeof causes): Status {
  // The API server's own message lists the causes in Go map order, which changes between calls.
  return { kind: "Status", status: "Failure", code: 422, reason: "Invalid", message: `StatefulSet.apps "fs1" is invalid: [${order.map((c) => `${c.field}: ${c.message}`).join(", ")}]`, details: { name: "fs1", kind: "StatefulSet", causes: order } };
}

function sts(image: string): Write {
  return { op: "apply", resource: CORE.statefulSets, object: { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "fs1", namespace: "ns" }, spec: { image } }, step: "apply StatefulSet fs1" };
}

function server(generation: number, uid = "uid-1"): DittoServer {
  return { apiVersion: "dittofs.dittofs.com/v1alpha1", kind: "DittoServer", metadata: { name: "fs1", namespace: "ns", uid, generation }, spec: {} } as unknown as DittoServer;
}

describe("isPermanentRefusal", () => {
  const patch: Write = { op: "jsonPatch", resource: CORE.statefulSets, ref: { namespace: "ns", name: "fs1" }, ops: [], step: "orphan" };
  it("422, 400, 413 and 415 on an apply or a create are permanent", () => {
    for (const code of [400, 413, 415, 422]) assert.equal(isPermanentRefusal(sts("a"), apiErrorFromStatus({ code })), true, `${code}`);
    assert.equal(isPermanentRefusal({ ...sts("a"), op: "create" } as Write, apiErrorFromStatus(invalid(causes))), true);
  });
  it("403, 409, 429, 5xx and network errors are transient", () => {
    for (const code of [403, 404, 409, 429, 500, 503, 504]) assert.equal(isPermanentRefusal(sts("a"), apiErrorFromStatus({ code })), false, `${code}`);
    assert.equal(isPermanentRefusal(sts("a"), new Error("connect ECONNREFUSED")), false);
  });
  it("a refused JSON patch (a test op failed: someone edited meanwhile) is retried", () => {
    assert.equal(isPermanentRefusal(patch, apiErrorFromStatus({ code: 422, reason: "Invalid" })), false);
  });
});

describe("refusalMessage", () => {
  it("does not churn with the order of the causes, keeps the field paths, drops duplicates", () => {
    const a = refusalMessage(apiErrorFromStatus(invalid(causes)));
    const b = refusalMessage(apiErrorFromStatus(invalid([causes[1]!, causes[0]!, causes[1]!])));
    assert.equal(a, b);
    assert.match(a, /^refused by the API server \(Invalid\): spec\.template\.metadata\.labels: .*; spec\.template\.spec\.nodeSelector: /);
    assert.equal(a.split("spec.template.metadata.labels").length, 2, "once");
  });
  it("uses the message when there are no causes, and stays short", () => {
    const denied = apiErrorFromStatus({ code: 422, reason: "Invalid", message: "ValidatingAdmissionPolicy 'p' with binding 'p' denied request: no" });
    assert.equal(refusalMessage(denied), "refused by the API server (Invalid): ValidatingAdmissionPolicy 'p' with binding 'p' denied request: no");
    assert.ok(refusalMessage(apiErrorFromStatus({ code: 400, message: "x".repeat(5000) })).length <= 1024);
  });
});

describe("standingRefusal", () => {
  const refusal = refusalOf(server(3), sts("bad"), apiErrorFromStatus(invalid(causes)));
  const writes = [{ ...sts("x"), step: "apply ConfigMap fs1-config" }, sts("bad")];
  it("stands for the same UID, generation and request, at the refused write's index", () => {
    assert.equal(standingRefusal(refusal, server(3), writes)?.index, 1);
    assert.match(refusal.message, /^apply StatefulSet fs1: refused by the API server/);
  });
  it("stands for a refused create of a generated Secret whose random values differ on every pass", () => {
    const create = (value: string): Write => ({ op: "create", resource: CORE.secrets, object: { apiVersion: "v1", kind: "Secret", metadata: { name: "fs1-jwt-secret", namespace: "ns" }, data: { "jwt-secret": value } }, step: "create Secret fs1-jwt-secret" });
    const refused = refusalOf(server(3), create("cmFuZG9tLTE="), apiErrorFromStatus({ code: 422, reason: "Invalid" }));
    assert.equal(standingRefusal(refused, server(3), [create("cmFuZG9tLTI=")])?.index, 0);
  });
  it("not for a new generation, another object with the same name, or a changed request", () => {
    assert.equal(standingRefusal(refusal, server(4), writes), undefined);
    assert.equal(standingRefusal(refusal, server(3, "uid-2"), writes), undefined);
    assert.equal(standingRefusal(refusal, server(3), [sts("changed by a Secret it depends on")]), undefined);
    assert.equal(standingRefusal(undefined, server(3), writes), undefined);
  });
});

describe("retryFloorMs", () => {
  const now = Date.parse("2026-01-01T01:00:00Z");
  const degraded = (reason: string, since: string, status = "True") => ({ conditions: [{ type: "Degraded", status, reason, message: "", lastTransitionTime: since }] }) as DittoServer["status"];
  it("is half of how long Degraded has said ReconcileError", () => {
    assert.equal(retryFloorMs(degraded("ReconcileError", "2026-01-01T00:50:00Z"), now), 300_000);
  });
  it("is capped", () => {
    assert.equal(retryFloorMs(degraded("ReconcileError", "2025-12-31T00:00:00Z"), now), MAX_RETRY_FLOOR_MS);
  });
  it("is 0 for a failure that just started, for other reasons and without a status", () => {
    assert.equal(retryFloorMs(degraded("ReconcileError", "2026-01-01T01:00:00Z"), now), 0);
    assert.equal(retryFloorMs(degraded("PodFailing", "2026-01-01T00:00:00Z"), now), 0);
    assert.equal(retryFloorMs(degraded("AsExpected", "2026-01-01T00:00:00Z", "False"), now), 0);
    assert.equal(retryFloorMs(undefined, now), 0);
  });
});
