import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  REDACTED,
  controllerLogger,
  createLogger,
  parseLogLevel,
  reconcileLogger,
  redactSecrets,
} from "../../../src/runtime/log.ts";

/** A pino destination that keeps the JSON lines in memory. */
function capture(): { write: (line: string) => void; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    write: (line: string) => void lines.push(line),
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("createLogger", () => {
  it("writes one JSON object per line with controller-runtime keys", () => {
    const out = capture();
    const log = createLogger({ level: "debug", name: "manager", destination: out });
    const ctrl = controllerLogger(log, { controller: "dittoserver", group: "dittofs.dittofs.com", kind: "DittoServer" });
    const rec = reconcileLogger(ctrl, "DittoServer", { namespace: "ns1", name: "srv" }, "id-1");
    rec.error(new Error("boom"), "Reconciler error");
    const [line] = out.records();
    assert.ok(line);
    assert.equal(line.level, "error");
    assert.equal(line.msg, "Reconciler error");
    assert.equal(line.logger, "manager");
    assert.equal(line.controller, "dittoserver");
    assert.equal(line.controllerGroup, "dittofs.dittofs.com");
    assert.equal(line.controllerKind, "DittoServer");
    assert.deepEqual(line.DittoServer, { name: "srv", namespace: "ns1" });
    assert.equal(line.namespace, "ns1");
    assert.equal(line.name, "srv");
    assert.equal(line.reconcileID, "id-1");
    assert.equal((line.error as { message: string }).message, "boom");
    assert.equal(typeof line.ts, "string");
    assert.ok(!Number.isNaN(Date.parse(line.ts as string)));
  });

  it("honours the level flag", () => {
    const out = capture();
    const log = createLogger({ level: "warn", destination: out });
    log.info("hidden");
    log.warn("shown");
    assert.deepEqual(out.records().map((r) => r.msg), ["shown"]);
  });

  it("rejects an unknown level with a clear message", () => {
    assert.throws(() => createLogger({ level: "verbose" }), /invalid log level "verbose": expected one of trace/);
    assert.equal(parseLogLevel(" DEBUG "), "debug");
  });

  it("redacts tokens and Secret data in logged objects and child bindings", () => {
    const out = capture();
    const log = createLogger({ destination: out }).child({ auth: { bearerToken: "abc" } });
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { password: "cGFzcw==" } };
    log.info({ secret, header: "Authorization: Bearer eyJhbGciOi.x.y", jwtSecretRef: "keep-me" }, "applied");
    const [line] = out.records();
    assert.ok(line);
    assert.deepEqual((line.auth as Record<string, unknown>).bearerToken, REDACTED);
    assert.deepEqual((line.secret as { data: unknown }).data, { password: REDACTED });
    assert.equal(line.header, `Authorization: Bearer ${REDACTED}`);
    assert.equal(line.jwtSecretRef, "keep-me");
    assert.ok(!JSON.stringify(line).includes("cGFzcw=="));
    assert.ok(!JSON.stringify(line).includes("eyJhbGciOi"));
  });
});

describe("redactSecrets", () => {
  it("does not mutate its input", () => {
    const input = { kind: "Secret", data: { k: "v" }, nested: { token: "t" } };
    const copy = structuredClone(input);
    const out = redactSecrets(input) as typeof input;
    assert.deepEqual(input, copy);
    assert.equal(out.nested.token, REDACTED);
  });

  it("keeps references to credentials but hides credential values at any depth and in arrays", () => {
    const out = redactSecrets({
      spec: { secretName: "db-creds", passwordSecretRef: { name: "x", key: "password" } },
      list: [{ apiKey: "k1" }, { clientSecret: "s1" }],
      password: "",
    }) as Record<string, unknown>;
    assert.deepEqual(out.spec, { secretName: "db-creds", passwordSecretRef: { name: "x", key: "password" } });
    assert.deepEqual(out.list, [{ apiKey: REDACTED }, { clientSecret: REDACTED }]);
    assert.equal(out.password, "", "an empty value reveals nothing and stays visible for debugging");
  });

  it("survives cycles", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    assert.deepEqual(redactSecrets(a), { name: "a", self: "[Truncated]" });
  });
});

describe("createLogger error output", () => {
  it("scrubs credentials inside serialised error messages", () => {
    const out = capture();
    createLogger({ destination: out }).error(new Error("401 for header Bearer s3cr3t-t0ken"), "request failed");
    const [line] = out.records();
    assert.ok(line);
    assert.equal((line.error as { message: string }).message, `401 for header Bearer ${REDACTED}`);
    assert.ok(!JSON.stringify(line).includes("s3cr3t"));
  });
});
