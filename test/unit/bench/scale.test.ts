/**
 * The scale benchmark's pure helpers: audit-log counting, scenario specs, percentiles, the objects it expects the
 * operator to write, and the pass/fail lines read against the targets. A wrong count here would publish a
 * wrong figure, so these are tested like product code.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { countWrites, parseAuditLines } from "../../../bench/scale/audit.ts";
import { childrenOf, ownedObjectCount } from "../../../bench/scale/objects.ts";
import { entrypointNodeFlags } from "../../../bench/scale/operator.ts";
import { deploymentMemoryLimit, memoryCgroupDir } from "../../../bench/scale/cgroup.ts";
import { percentile } from "../../../bench/scale/proc.ts";
import { markdownTable, statusPathSummary, targetLines } from "../../../bench/scale/report.ts";
import type { ScenarioResult } from "../../../bench/scale/scenario.ts";
import { nodesFor, parseScenarios } from "../../../bench/scale/spec.ts";

const T = Date.parse("2026-01-01T00:00:00Z");

function auditLine(o: { user?: string; verb?: string; resource?: string; subresource?: string; namespace?: string; at?: number; stage?: string; code?: number }): string {
  return JSON.stringify({
    kind: "Event",
    stage: o.stage ?? "ResponseComplete",
    verb: o.verb ?? "patch",
    user: { username: o.user ?? "dittofs-operator" },
    objectRef: { resource: o.resource ?? "configmaps", ...(o.subresource ? { subresource: o.subresource } : {}), namespace: o.namespace ?? "ns1" },
    stageTimestamp: new Date(o.at ?? T).toISOString(),
    responseStatus: { code: o.code ?? 200 },
  });
}

describe("audit log counting", () => {
  it("keeps completed requests of the named user; skips other stages, other users and non-JSON lines", () => {
    const text = [
      auditLine({}),
      auditLine({ stage: "RequestReceived" }),
      auditLine({ user: "system:kube-controller-manager" }),
      "not json {",
      "",
      auditLine({ verb: "get", resource: "pods" }),
    ].join("\n");
    const events = parseAuditLines(text, "dittofs-operator");
    assert.equal(events.length, 2);
    assert.deepEqual(events.map((e) => e.verb), ["patch", "get"]);
    assert.equal(events[0]?.at, T);
    assert.equal(events[0]?.code, 200);
  });

  it("counts mutating verbs in the namespace and the half-open window, Events apart, by kind and subresource", () => {
    const events = parseAuditLines([
      auditLine({ verb: "create", resource: "secrets", at: T }),
      auditLine({ verb: "patch", resource: "dittoservers", subresource: "status", at: T + 1 }),
      auditLine({ verb: "patch", resource: "dittoservers", subresource: "status", at: T + 2 }),
      auditLine({ verb: "create", resource: "events", at: T + 3 }),
      auditLine({ verb: "get", resource: "statefulsets", at: T + 4 }),
      auditLine({ verb: "delete", resource: "services", namespace: "other", at: T + 5 }),
      auditLine({ verb: "patch", resource: "configmaps", at: T + 10 }),
    ].join("\n"));
    const c = countWrites(events, { username: "dittofs-operator", namespace: "ns1", from: T, to: T + 10 });
    assert.equal(c.writes, 3);
    assert.equal(c.events, 1);
    assert.deepEqual(c.byKind, { "secrets create": 1, "dittoservers/status patch": 2, "events create": 1 });
  });
});

describe("scenario specs", () => {
  it("parses N[xWORKERS][@IDLE_SECONDS][/SHARES] with defaults, and refuses anything else", () => {
    assert.deepEqual(parseScenarios("1, 100x4@600,1000x8,100x4/10", 60), [
      { n: 1, workers: 1, idleSeconds: 60, sharesPerServer: 0 },
      { n: 100, workers: 4, idleSeconds: 600, sharesPerServer: 0 },
      { n: 1000, workers: 8, idleSeconds: 60, sharesPerServer: 0 },
      { n: 100, workers: 4, idleSeconds: 60, sharesPerServer: 10 },
    ]);
    assert.throws(() => parseScenarios("100x", 60), /not N\[xWORKERS\]/);
    assert.throws(() => parseScenarios("-1", 60), /not N\[xWORKERS\]/);
    assert.throws(() => parseScenarios("100/", 60), /not N\[xWORKERS\]/);
  });

  it("asks for enough 110-pod nodes for every scenario's pods (twice with the floor), at least 3", () => {
    assert.equal(nodesFor([{ n: 1, workers: 1, idleSeconds: 0, sharesPerServer: 0 }], true), 3);
    assert.equal(nodesFor([{ n: 1000, workers: 4, idleSeconds: 0, sharesPerServer: 0 }], false), 10);
    assert.equal(nodesFor([{ n: 1000, workers: 4, idleSeconds: 0, sharesPerServer: 0 }, { n: 100, workers: 4, idleSeconds: 0, sharesPerServer: 0 }], true), 22);
  });

  it("percentile: nearest rank, NaN when empty", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.equal(percentile(values, 50), 50);
    assert.equal(percentile(values, 99), 99);
    assert.equal(percentile([7], 99), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });
});

describe("expected objects", () => {
  it("a minimal server: ConfigMap, 2 Services (adapter Services wait for the adapter list: kwok pods have no API), the baseline NetworkPolicy, StatefulSet applied, plus 2 generated Secrets owned", () => {
    assert.deepEqual(childrenOf("ns1", "ds-0000").map((o) => o.kind).sort(), ["ConfigMap", "NetworkPolicy", "Service", "Service", "StatefulSet"]);
    assert.equal(ownedObjectCount("ns1", "ds-0000"), 7);
    assert.equal(ownedObjectCount("ns1", "ds-0000", "ClusterIP"), 7, "the adapter Service type does not change the count");
  });
});

function result(over: Partial<ScenarioResult> & { steadyWrites: number }): ScenarioResult {
  const { steadyWrites, ...rest } = over;
  return {
    n: 100,
    concurrency: 4,
    fileServiceType: "LoadBalancer",
    finalizerPolicy: true,
    operatorArgs: [],
    childrenPerServer: 5,
    ownedPerServer: 7,
    createSeconds: 0.5,
    childrenSeconds: 12,
    readySeconds: 20,
    readyCount: 100,
    toSteady: { writes: steadyWrites, events: 300, byKind: {} },
    idle: { writes: 0, events: 0, byKind: {}, seconds: 600, reconciles: 100 },
    editLatencyMs: { samples: 200, p50: 100, p99: 300, max: 400 },
    editWrites: { writes: 600, events: 0, byKind: {} },
    rssMiB: { atReady: 120, afterIdle: 110, peak: 150 },
    heapUsedMiB: { atReady: 40, afterIdle: 38 },
    cpuSeconds: { toReady: 3, idle: 1, edits: 2 },
    floor: { writes: 500, parallelism: 4, seconds: 10 },
    operatorExited: false,
    ...rest,
  };
}

describe("pass/fail lines", () => {
  it("writes: ≤ children + 2 per DittoServer passes, one more fails", () => {
    const pass = targetLines([result({ steadyWrites: 900 })]);
    assert.ok(pass.some((l) => l.startsWith("PASS") && l.includes("9.00 writes per DittoServer") && l.includes("7 children + 2 = 9")), pass.join("\n"));
    const fail = targetLines([result({ steadyWrites: 901 })]);
    assert.ok(fail.some((l) => l.startsWith("FAIL") && l.includes("9.01 writes per DittoServer")), fail.join("\n"));
  });

  it("idle writes, floor ratio and peak RSS each pass or fail on their own figure", () => {
    const lines = targetLines([result({ steadyWrites: 900, n: 1000, idle: { writes: 2, events: 0, byKind: {}, seconds: 600, reconciles: 0 }, childrenSeconds: 16, floor: { writes: 5000, parallelism: 4, seconds: 10 }, rssMiB: { atReady: 150, afterIdle: 140, peak: 201 } })]);
    const line = (needle: string): string => lines.find((l) => l.includes(needle)) ?? assert.fail(`no line with ${needle}: ${lines.join("\n")}`);
    assert.match(line("idle window"), /^FAIL .*2 writes/);
    assert.match(line("raw-write floor"), /^FAIL .*1\.60× the raw-write floor/);
    assert.match(line("peak RSS"), /^FAIL .*201\.0 MiB \(target ≤ 120 MiB\)/);
    const good = targetLines([result({ steadyWrites: 9000, n: 1000, childrenSeconds: 15, rssMiB: { atReady: 110, afterIdle: 100, peak: 120 } })]);
    assert.equal(good.filter((l) => l.startsWith("FAIL")).length, 0, good.join("\n"));
  });

  it("peak RSS: 80 MiB up to N=100, 120 MiB above", () => {
    const peak = (n: number, mib: number): string => targetLines([result({ steadyWrites: 9 * n, n, rssMiB: { atReady: mib, afterIdle: mib, peak: mib } })]).find((l) => l.includes("peak RSS")) ?? "";
    assert.match(peak(100, 80), /^PASS .*target ≤ 80 MiB\)/);
    assert.match(peak(100, 80.1), /^FAIL /);
    assert.match(peak(1, 80), /^PASS .*stated for N=100/);
    assert.match(peak(1000, 120.1), /^FAIL .*target ≤ 120 MiB\)/);
  });

  it("the table has one row per scenario with the heap beside the RSS", () => {
    const table = markdownTable([result({ steadyWrites: 900 }), result({ steadyWrites: 9000, n: 1000 })]).split("\n");
    assert.equal(table.length, 4);
    assert.match(table[2] ?? "", /^\| 100 \| 4 \|.*\| 9\.00 \(\+3\.00\) \|.*\| 120\.0 \/ 150\.0 \(40\.0\) \|/);
  });
});

describe("statusPathSummary", () => {
  it("counts status versions per server and shows the paths longer than the common one, most frequent first", () => {
    const usual = ["(none)", "Pending", "Running"];
    const paths = new Map<string, string[]>([
      ["a", usual], ["b", usual], ["c", usual],
      ["d", ["(none)", "Pending", "Pending unschedulable", "Running"]],
      ["e", ["(none)", "Pending", "Pending unschedulable", "Running"]],
      ["f", ["(none)", "Pending", "Running", "Pending", "Running"]],
    ]);
    const lines = statusPathSummary(paths, 1);
    assert.equal(lines[0], "status versions per DittoServer: 3 ×3, 4 ×2, 5 ×1");
    assert.equal(lines.length, 2, "only the most frequent longer path with shown = 1");
    assert.match(lines[1] ?? "", /^ {2}2 server\(s\):\n {8}\(none\)\n {6}→ Pending\n {6}→ Pending unschedulable\n {6}→ Running$/);
  });

  it("shows nothing more when every server took the common path", () => {
    assert.deepEqual(statusPathSummary(new Map([["a", ["(none)", "Running"]]])), ["status versions per DittoServer: 2 ×1"]);
  });
});

describe("entrypointNodeFlags", () => {
  it("takes the Node flags between node and dist/main.js, and refuses another entrypoint", () => {
    assert.deepEqual(entrypointNodeFlags('FROM x\nENTRYPOINT ["node", "--max-semi-space-size=2", "dist/main.js"]\n'), ["--max-semi-space-size=2"]);
    assert.deepEqual(entrypointNodeFlags('ENTRYPOINT ["node", "dist/main.js"]'), []);
    assert.throws(() => entrypointNodeFlags('ENTRYPOINT ["/bin/sh", "-c", "node dist/main.js"]'), /expected ENTRYPOINT/);
    assert.throws(() => entrypointNodeFlags("CMD node"), /no ENTRYPOINT/);
  });

  it("reads the shipped Dockerfile", async () => {
    const flags = entrypointNodeFlags(await readFile(new URL("../../../Dockerfile", import.meta.url), "utf8"));
    assert.ok(flags.every((f) => f.startsWith("--")), flags.join(" "));
  });
});

describe("memory cgroup helpers", () => {
  it("reads the operator container's memory limit from the shipped Deployment", async () => {
    const manifest = await readFile(new URL("../../../deploy/base/deployment.yaml", import.meta.url), "utf8");
    assert.ok(deploymentMemoryLimit(manifest) >= 128 * 2 ** 20, "a limit of at least 128Mi");
    assert.equal(deploymentMemoryLimit("spec: {template: {spec: {containers: [{resources: {limits: {memory: 256Mi}}}]}}}"), 256 * 2 ** 20);
    assert.throws(() => deploymentMemoryLimit("spec: {template: {spec: {containers: [{}]}}}"), /no readable resources.limits.memory/);
  });

  it("finds this process's memory cgroup in cgroup v1 and v2 listings", () => {
    const v1 = "9:name=systemd:/\n4:memory:/jobs/abc\n1:cpu,cpuacct:/\n0::/\n";
    assert.equal(memoryCgroupDir(v1, 1), "/sys/fs/cgroup/memory/jobs/abc");
    assert.equal(memoryCgroupDir("0::/user.slice/session-1.scope\n", 2), "/sys/fs/cgroup/user.slice/session-1.scope");
    assert.equal(memoryCgroupDir("1:cpu:/\n", 1), undefined);
  });
});
