import assert from "node:assert/strict";
import { test } from "node:test";
import { executeWrites, factsOf } from "../../../src/dittoserver/executor.ts";
import type { Write } from "../../../src/dittoserver/executor.ts";
import { ApiError } from "../../../src/runtime/errors.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import type { Writer } from "../../../src/runtime/writer.ts";

const obj = (name: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ns" } });
const apiError = (code: number, reason: string): ApiError => new ApiError(code, reason, reason, "");

/** A writer that records each call and answers from `answers` by object name (an Error is thrown). */
function fakeWriter(answers: Record<string, Error | undefined> = {}): { writer: Writer; calls: string[] } {
  const calls: string[] = [];
  const answer = (op: string, name: string): Promise<KubeObject> => {
    calls.push(`${op} ${name}`);
    const err = answers[name];
    return err ? Promise.reject(err) : Promise.resolve({ ...obj(name), metadata: { ...obj(name).metadata, resourceVersion: "1" } });
  };
  const writer: Writer = {
    apply: (_r, o) => answer("apply", o.metadata.name ?? ""),
    applyStatus: (_r, o) => answer("applyStatus", o.metadata.name ?? ""),
    create: (_r, o) => answer("create", o.metadata.name ?? ""),
    mergePatch: (_r, ref) => answer("mergePatch", ref.name),
    jsonPatch: (_r, ref) => answer("jsonPatch", ref.name),
    delete: (_r, ref) => answer("delete", ref.name).then(() => undefined),
    readLive: () => Promise.resolve(undefined),
  };
  return { writer, calls };
}

const apply = (name: string): Write => ({ op: "apply", resource: CORE.configMaps, object: obj(name), step: `apply ${name}`, fact: { created: `ConfigMap/${name}` } });

test("writes run in order; the first failure stops the rest and is reported with its step", async () => {
  const { writer, calls } = fakeWriter({ b: apiError(500, "InternalError") });
  const report = await executeWrites(writer, [apply("a"), apply("b"), apply("c")]);
  assert.deepEqual(calls, ["apply a", "apply b"]);
  assert.deepEqual(report.results.map((r) => [r.write.step, r.outcome, r.object?.metadata.resourceVersion]), [["apply a", "written", "1"]]);
  assert.equal(report.failure?.write.step, "apply b");
  assert.deepEqual(factsOf(report), [{ created: "ConfigMap/a" }]);
});

test("a tolerated answer is an outcome, not a failure, and carries no fact", async () => {
  const { writer } = fakeWriter({ s: apiError(409, "AlreadyExists"), gone: apiError(404, "NotFound") });
  const writes: Write[] = [
    { op: "create", resource: CORE.secrets, object: obj("s"), step: "create s", tolerate: ["AlreadyExists"], fact: { created: "Secret/s" } },
    { op: "delete", resource: CORE.services, ref: { namespace: "ns", name: "gone" }, step: "delete gone", tolerate: ["NotFound"], fact: { deleted: "Service/gone" } },
  ];
  const report = await executeWrites(writer, writes);
  assert.equal(report.failure, undefined);
  assert.deepEqual(report.results.map((r) => r.outcome), ["tolerated", "tolerated"]);
  assert.deepEqual(factsOf(report), []);
  const strict = await executeWrites(fakeWriter({ s: apiError(404, "NotFound") }).writer, [writes[0]!]);
  assert.equal(strict.failure?.write.step, "create s", "only the listed answers are tolerated");
});

test("an aborted pass writes nothing more", async () => {
  const { writer, calls } = fakeWriter();
  const abort = new AbortController();
  abort.abort(new Error("reconcile timed out"));
  const report = await executeWrites(writer, [apply("a")], abort.signal);
  assert.deepEqual(calls, []);
  assert.match(String(report.failure?.error), /timed out/);
});

test("a delete sends its UID precondition and propagation policy (the orphan delete of a switch)", async () => {
  const seen: unknown[] = [];
  const writer: Writer = { ...fakeWriter().writer, delete: (_r, _ref, opts) => { seen.push(opts); return Promise.resolve(); } };
  const write: Write = { op: "delete", resource: CORE.statefulSets, ref: { namespace: "ns", name: "fs1" }, preconditions: { uid: "u1" }, propagationPolicy: "Orphan", step: "orphan-delete fs1" };
  const plain: Write = { op: "delete", resource: CORE.pods, ref: { namespace: "ns", name: "fs1-0" }, step: "delete fs1-0" };
  await executeWrites(writer, [write, plain]);
  assert.deepEqual(seen, [{ preconditions: { uid: "u1" }, propagationPolicy: "Orphan" }, {}]);
});
