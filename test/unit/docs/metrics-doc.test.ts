/** docs/metrics.md lists exactly the metrics the runtime registers (process defaults aside). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { Registry } from "prom-client";
import { createRuntimeMetrics } from "../../../src/runtime/metrics.ts";

it("docs/metrics.md names every runtime metric and no other", async () => {
  const registry = new Registry();
  const metrics = createRuntimeMetrics(registry, { defaultMetrics: false });
  // Per-controller and per-lease metrics register lazily.
  metrics.controller("dittoserver");
  metrics.leaderElection("dittofs-operator-lock");
  const registered = (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
  const doc = readFileSync(fileURLToPath(new URL("../../../docs/metrics.md", import.meta.url)), "utf8");
  const documented = [...doc.matchAll(/^\| `([a-z_]+)` \| (?:counter|gauge|histogram) \|/gm)].map((m) => m[1]!).sort();
  assert.ok(registered.length > 10, `expected the runtime metrics, got ${registered.join(", ")}`);
  assert.deepEqual(documented, registered);
});
