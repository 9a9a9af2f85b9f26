import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  apiErrorFromResponse,
  apiErrorFromStatus,
  isAlreadyExists,
  isConflict,
  isGone,
  isInvalid,
  isNotFound,
  TerminalError,
  isTerminalError,
} from "../../../src/runtime/errors.ts";

const status = (code: number, reason: string, message: string, extra: object = {}): string =>
  JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message, ...extra });

describe("ApiError parsing", () => {
  it("lifts code, reason and message out of a Status body given as raw text", () => {
    const err = apiErrorFromResponse(404, status(404, "NotFound", 'configmaps "x" not found'));
    assert.equal(err.code, 404);
    assert.equal(err.reason, "NotFound");
    assert.equal(err.message, 'configmaps "x" not found');
    assert.equal(typeof err.body, "object");
    assert.equal(isNotFound(err), true);
  });

  it("tells AlreadyExists from a resourceVersion Conflict (both 409)", () => {
    const exists = apiErrorFromResponse(409, status(409, "AlreadyExists", "exists"));
    const conflict = apiErrorFromResponse(409, status(409, "Conflict", "the object has been modified"));
    assert.deepEqual([isAlreadyExists(exists), isConflict(exists)], [true, false]);
    assert.deepEqual([isAlreadyExists(conflict), isConflict(conflict)], [false, true]);
  });

  it("appends validation causes to the message", () => {
    const err = apiErrorFromResponse(
      422,
      status(422, "Invalid", "the server rejected our request", {
        details: { causes: [{ field: "metadata.finalizers", message: "testing value failed" }] },
      }),
    );
    assert.equal(isInvalid(err), true);
    assert.match(err.message, /metadata\.finalizers: testing value failed/);
  });

  it("keeps a non-JSON body as text and derives the reason from the code", () => {
    const err = apiErrorFromResponse(503, "upstream connect error");
    assert.equal(err.reason, "ServiceUnavailable");
    assert.equal(err.body, "upstream connect error");
    assert.match(err.message, /HTTP 503: upstream connect error/);
  });

  it("reads Retry-After from the header or the Status details", () => {
    assert.equal(apiErrorFromResponse(429, "slow down", "7").retryAfterSeconds, 7);
    assert.equal(
      apiErrorFromResponse(429, status(429, "TooManyRequests", "x", { details: { retryAfterSeconds: 3 } })).retryAfterSeconds,
      3,
    );
  });

  it("treats watch ERROR frames with 410 or reason Expired as Gone", () => {
    assert.equal(isGone(apiErrorFromStatus({ kind: "Status", code: 410, reason: "Expired", message: "too old" })), true);
    assert.equal(isGone(apiErrorFromStatus({ kind: "Status", reason: "Expired", message: "too old" })), true);
    assert.equal(isGone(apiErrorFromStatus({ kind: "Status", code: 500, message: "etcd" })), false);
  });

  it("marks terminal errors", () => {
    assert.equal(isTerminalError(new TerminalError("bad spec")), true);
    assert.equal(isTerminalError(new Error("transient")), false);
  });
});
