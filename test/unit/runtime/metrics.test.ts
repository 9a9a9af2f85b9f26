import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { FakeClock } from "../../../src/runtime/clock.ts";
import type { ManagerMetrics } from "../../../src/runtime/manager.ts";
import {
  RECONCILE_TIME_BUCKETS,
  WORKQUEUE_DURATION_BUCKETS,
  createRuntimeMetrics,
} from "../../../src/runtime/metrics.ts";
import { WorkQueue, itemExponentialRateLimiter } from "../../../src/runtime/queue.ts";

/** Value of one sample of a metric, matched on every given label. */
async function sample(reg: Registry, metric: string, labels: Record<string, string>, sampleName = metric): Promise<number | undefined> {
  const m = reg.getSingleMetric(metric);
  assert.ok(m, `${metric} is registered`);
  const data = await m.get();
  const hit = data.values.find((v) => {
    const name = (v as { metricName?: string }).metricName ?? metric;
    return name === sampleName && Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val);
  });
  return hit?.value;
}

describe("createRuntimeMetrics", () => {
  it("fits the manager's ManagerMetrics shape", () => {
    const metrics: ManagerMetrics = createRuntimeMetrics(new Registry(), { defaultMetrics: false });
    assert.equal(typeof metrics.controller?.("x").queue?.added, "function");
  });

  it("registers controller-runtime, workqueue, client, leader-election and process metrics", async () => {
    const reg = new Registry();
    const m = createRuntimeMetrics(reg);
    m.controller("dittoserver");
    m.leaderElection("dittofs-operator-lock");
    const text = await reg.metrics();
    for (const name of [
      "controller_runtime_reconcile_total",
      "controller_runtime_reconcile_errors_total",
      "controller_runtime_terminal_reconcile_errors_total",
      "controller_runtime_reconcile_panics_total",
      "controller_runtime_reconcile_timeouts_total",
      "controller_runtime_reconcile_time_seconds",
      "controller_runtime_max_concurrent_reconciles",
      "controller_runtime_active_workers",
      "workqueue_depth",
      "workqueue_adds_total",
      "workqueue_retries_total",
      "workqueue_queue_duration_seconds",
      "workqueue_work_duration_seconds",
      "workqueue_unfinished_work_seconds",
      "workqueue_longest_running_processor_seconds",
      "rest_client_requests_total",
      "leader_election_master_status",
      "leader_election_slowpath_total",
      "process_cpu_seconds_total",
      "nodejs_eventloop_lag_seconds",
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), `${name} missing`);
    }
  });

  it("pre-initialises reconcile results and error counters to 0 per controller", async () => {
    const reg = new Registry();
    createRuntimeMetrics(reg, { defaultMetrics: false }).controller("c1");
    for (const result of ["success", "error", "requeue", "requeue_after"]) {
      assert.equal(await sample(reg, "controller_runtime_reconcile_total", { controller: "c1", result }), 0);
    }
    assert.equal(await sample(reg, "controller_runtime_terminal_reconcile_errors_total", { controller: "c1" }), 0);
  });

  it("counts reconciles by result, errors by kind, and observes reconcile time", async () => {
    const reg = new Registry();
    const c = createRuntimeMetrics(reg, { defaultMetrics: false }).controller("c1");
    c.reconciled("success", 0.2);
    c.reconciled("error", 3);
    c.error("error");
    c.error("terminal");
    c.error("panic");
    c.maxConcurrent(4);
    c.activeWorkers(2);
    assert.equal(await sample(reg, "controller_runtime_reconcile_total", { controller: "c1", result: "success" }), 1);
    assert.equal(await sample(reg, "controller_runtime_reconcile_total", { controller: "c1", result: "error" }), 1);
    assert.equal(await sample(reg, "controller_runtime_reconcile_errors_total", { controller: "c1" }), 1);
    assert.equal(await sample(reg, "controller_runtime_terminal_reconcile_errors_total", { controller: "c1" }), 1);
    assert.equal(await sample(reg, "controller_runtime_reconcile_panics_total", { controller: "c1" }), 1);
    assert.equal(await sample(reg, "controller_runtime_reconcile_timeouts_total", { controller: "c1" }), 0);
    assert.equal(await sample(reg, "controller_runtime_max_concurrent_reconciles", { controller: "c1" }), 4);
    assert.equal(await sample(reg, "controller_runtime_active_workers", { controller: "c1" }), 2);
    const h = "controller_runtime_reconcile_time_seconds";
    assert.equal(await sample(reg, h, { controller: "c1" }, `${h}_count`), 2);
    assert.equal(await sample(reg, h, { controller: "c1", le: "0.25" }, `${h}_bucket`), 1);
    assert.equal(await sample(reg, h, { controller: "c1", le: "3" }, `${h}_bucket`), 2);
  });

  it("uses controller-runtime's bucket layouts", () => {
    assert.equal(RECONCILE_TIME_BUCKETS.length, 40);
    assert.equal(RECONCILE_TIME_BUCKETS.at(-1), 60);
    assert.deepEqual(WORKQUEUE_DURATION_BUCKETS.slice(0, 3), [1e-8, 1e-7, 1e-6]);
    assert.equal(WORKQUEUE_DURATION_BUCKETS.at(-1), 1000);
  });

  it("feeds workqueue_* from a live WorkQueue, reading in-flight work at scrape time", async () => {
    const reg = new Registry();
    const clock = new FakeClock(0);
    const m = createRuntimeMetrics(reg, { defaultMetrics: false, clock });
    const q = new WorkQueue({
      name: "c1",
      clock,
      rateLimiter: itemExponentialRateLimiter(),
      metrics: m.controller("c1").queue,
    });
    const labels = { name: "c1", controller: "c1" };
    q.add("a");
    q.add("a");
    q.add("b");
    assert.equal(await sample(reg, "workqueue_adds_total", labels), 2);
    assert.equal(await sample(reg, "workqueue_depth", { ...labels, priority: "" }), 2);
    await clock.advance(1500);
    const key = (await q.get())!;
    await clock.advance(4000);
    assert.equal(await sample(reg, "workqueue_unfinished_work_seconds", labels), 4);
    assert.equal(await sample(reg, "workqueue_longest_running_processor_seconds", labels), 4);
    q.done(key);
    assert.equal(await sample(reg, "workqueue_unfinished_work_seconds", labels), 0);
    const qd = "workqueue_queue_duration_seconds";
    assert.equal(await sample(reg, qd, labels, `${qd}_sum`), 1.5);
    const wd = "workqueue_work_duration_seconds";
    assert.equal(await sample(reg, wd, { ...labels, le: "10" }, `${wd}_bucket`), 1);
    assert.equal(await sample(reg, wd, { ...labels, le: "1" }, `${wd}_bucket`), 0);
    q.addRateLimited("a");
    assert.equal(await sample(reg, "workqueue_retries_total", labels), 1);
  });

  it("reports leader status, slow paths, client requests and watch health", async () => {
    const reg = new Registry();
    const clock = new FakeClock(0);
    const m = createRuntimeMetrics(reg, { defaultMetrics: false, clock, prefix: "dittofs_operator" });
    const le = m.leaderElection("lock");
    assert.equal(await sample(reg, "leader_election_master_status", { name: "lock" }), 0);
    le.leading(true);
    le.slowpath();
    assert.equal(await sample(reg, "leader_election_master_status", { name: "lock" }), 1);
    assert.equal(await sample(reg, "leader_election_slowpath_total", { name: "lock" }), 1);
    m.requestCounter.inc({ code: "200", method: "GET", host: "127.0.0.1:6443" });
    m.requestCounter.inc({ code: "200", method: "GET", host: "127.0.0.1:6443" });
    assert.equal(
      await sample(reg, "rest_client_requests_total", { code: "200", method: "GET", host: "127.0.0.1:6443" }),
      2,
    );
    m.informer.watchRestart("apps/v1/statefulsets", "expired");
    m.informer.event("apps/v1/statefulsets");
    await clock.advance(42_000);
    assert.equal(
      await sample(reg, "dittofs_operator_watch_restarts_total", { resource: "apps/v1/statefulsets", reason: "expired" }),
      1,
    );
    assert.equal(await sample(reg, "dittofs_operator_watch_last_event_age_seconds", { resource: "apps/v1/statefulsets" }), 42);
  });

  it("returns the same sinks for the same controller and keeps registries independent", async () => {
    const r1 = new Registry();
    const r2 = new Registry();
    const m1 = createRuntimeMetrics(r1, { defaultMetrics: false });
    createRuntimeMetrics(r2, { defaultMetrics: false });
    assert.equal(m1.controller("x"), m1.controller("x"));
    m1.controller("x").reconciled("success", 0.1);
    assert.equal(await sample(r2, "controller_runtime_reconcile_total", { controller: "x", result: "success" }), undefined);
  });
});
