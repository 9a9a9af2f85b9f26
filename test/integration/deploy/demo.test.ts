/**
 * `npm run demo -- --exit-when-ready` end to end: its own control plane, the operator as a child, the minimal
 * sample to READY 1/1 Running with a real dfs behind its pod (the server's /health/ready answer, fetched at the
 * pod IP, printed beside the table), then a clean teardown (exit code 0).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { it } from "node:test";
import { ROOT, run } from "./support.ts";

it("the demo reaches READY 1/1 Running and exits cleanly with --exit-when-ready", async () => {
  const r = await run(process.execPath, [join(ROOT, "hack/demo.ts"), "--exit-when-ready", "--timeout=120"]);
  assert.equal(r.code, 0, `demo failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^NAME\s+READY\s+STATUS\s+AGE$/m);
  assert.match(r.stdout, /^minimal\s+1\/1\s+Running\s/m);
  assert.match(r.stdout, /condition Ready: .*True \(ServerReady\)/);
  assert.match(r.stdout, /^\$ curl http:\/\/10\.\d+\.\d+\.\d+:8080\/health\/ready {3}# the dfs in pod minimal-0$/m);
  assert.match(r.stdout, /^HTTP 200 \{"status":"healthy".*"adapters"/m, "the real server's readiness answer");
  assert.match(r.stdout, /stopping the control plane/);
});
