/**
 * Scale and latency of the operator on a private local control plane (issue 8). For each scenario `N[xW][@S][/K]`:
 * N minimal DittoServers (and K DittoShares on each) created at once, the operator (`dist/main.js` with the image's Node flags, own client
 * certificate, W workers, under the Deployment's memory limit) as a child process; figures: time to all children and to all Ready, mutating requests per DittoServer (audit log,
 * operator's username) to steady state and in an S-second idle window, spec-edit → StatefulSet latency, RSS and
 * CPU, and the raw server-side-apply floor of the same objects. Prints figures and pass/fail against the issue's
 * targets; asserts nothing.
 *
 *   nice -n 10 npm run bench:scale -- --scenarios 1,100x1@600,100x4,100x8,1000x4 --out docs/benchmarks/scale.json
 *   npm run bench:scale -- --report docs/benchmarks/a.json,docs/benchmarks/b.json --svg docs/benchmarks/scale.svg
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KubeClient, loadKubeConfig } from "../src/runtime/client.ts";
import { startControlPlane } from "../test/controlplane/index.ts";
import { buildDist, clientAs, installCrd, installFinalizerPolicy, ROOT } from "./common/cluster.ts";
import { deploymentMemoryLimit } from "./scale/cgroup.ts";
import { markdownTable, plot, targetLines } from "./scale/report.ts";
import { runScenario } from "./scale/scenario.ts";
import { int, nodesFor, parseScenarios, PODS_PER_NODE } from "./scale/spec.ts";
import type { ScenarioResult } from "./scale/scenario.ts";

const OPERATOR_USER = "dittofs-operator";
const FLOOR_USER = "dittofs-bench-floor";

const { values } = parseArgs({
  options: {
    scenarios: { type: "string", default: "1,100" },
    "idle-seconds": { type: "string", default: "60" },
    edits: { type: "string", default: "200" },
    "settle-seconds": { type: "string", default: "15" },
    "timeout-seconds": { type: "string", default: "1800" },
    nodes: { type: "string", default: "auto" },
    "no-floor": { type: "boolean", default: false },
    // The shipped install (deploy/default) adds the finalizer at admission; this measures a cluster without it.
    "no-finalizer-policy": { type: "boolean", default: false },
    // Extra operator flags, space-separated; give it as --operator-args=--flag=value (parseArgs refuses a separate value starting with "--").
    "operator-args": { type: "string", default: "" },
    // Node flags instead of the image's ENTRYPOINT flags, space-separated; alternatives separated by "|" run every
    // scenario once per set on the same cluster (--node-flags="--max-semi-space-size=2|--max-semi-space-size=1").
    "node-flags": { type: "string" },
    // The operator runs in a memory cgroup with the shipped Deployment's limit when the machine allows; this skips it.
    "no-memory-limit": { type: "boolean", default: false },
    "file-service-type": { type: "string" },
    out: { type: "string" },
    report: { type: "string" },
    svg: { type: "string" },
  },
});

const log = (line: string): void => { process.stdout.write(`[scale ${new Date().toISOString().slice(11, 19)}] ${line}\n`); };

function printReport(results: ScenarioResult[]): void {
  process.stdout.write(`\n${markdownTable(results)}\n\n${targetLines(results).join("\n")}\n`);
}

async function run(): Promise<ScenarioResult[]> {
  const specs = parseScenarios(values.scenarios, int("idle-seconds", values["idle-seconds"]));
  const workDir = await mkdtemp(join(tmpdir(), "dittofs-scale-"));
  log(`starting the control plane (operator logs in ${workDir})`);
  const nodes = values.nodes === "auto" ? nodesFor(specs, !values["no-floor"]) : int("nodes", values.nodes);
  log(`${nodes} kwok nodes (${PODS_PER_NODE} pods each)`);
  log("building dist/ (npm run build): the operator runs as the image ships it");
  await buildDist();
  // The pod runner guards the pod CIDR with an unreachable route: the operator dials pod IPs (the DittoFS API),
  // and kwok's pods have no process behind them, so those calls must fail fast and never leave the host.
  const cp = await startControlPlane({ audit: true, nodes, podRunner: true });
  const results: ScenarioResult[] = [];
  try {
    if (!cp.auditLogPath) throw new Error("the control plane did not write an audit log");
    const admin = new KubeClient(loadKubeConfig(cp.kubeconfigPath), { fieldManager: "dittofs-bench" });
    await installCrd(admin);
    const finalizerPolicy = !values["no-finalizer-policy"];
    if (finalizerPolicy) await installFinalizerPolicy(admin, cp);
    const memoryLimitBytes = values["no-memory-limit"] ? undefined : deploymentMemoryLimit(await readFile(join(ROOT, "deploy/base/deployment.yaml"), "utf8"));
    const operator = await clientAs(cp, workDir, OPERATOR_USER);
    const floor = await clientAs(cp, workDir, FLOOR_USER);
    const flagSets = values["node-flags"] === undefined ? [undefined] : values["node-flags"].split("|").map((set) => set.split(" ").filter(Boolean));
    for (const spec of specs) for (const nodeFlags of flagSets) {
      log(`scenario N=${spec.n} workers=${spec.workers} shares/server=${spec.sharesPerServer} idle=${spec.idleSeconds} s${nodeFlags ? ` node ${nodeFlags.join(" ")}` : ""}`);
      const result = await runScenario({
        admin,
        floorClient: floor.client,
        operatorKubeconfigPath: operator.kubeconfigPath,
        operatorUsername: OPERATOR_USER,
        auditLogPath: cp.auditLogPath,
        workDir,
        n: spec.n,
        concurrency: spec.workers,
        sharesPerServer: spec.sharesPerServer,
        idleMs: spec.idleSeconds * 1000,
        edits: int("edits", values.edits),
        settleMs: int("settle-seconds", values["settle-seconds"]) * 1000,
        timeoutMs: int("timeout-seconds", values["timeout-seconds"]) * 1000,
        floor: !values["no-floor"],
        fileServiceType: values["file-service-type"],
        finalizerPolicy,
        operatorArgs: values["operator-args"].split(" ").filter(Boolean),
        nodeFlags,
        memoryLimitBytes,
        log,
      });
      results.push(result);
      process.stdout.write(`${JSON.stringify(result)}\n`);
      if (values.out) await writeFile(values.out, `${JSON.stringify(results, null, 2)}\n`);
    }
    await Promise.all([admin.close(), operator.client.close(), floor.client.close()]);
  } finally {
    await cp.stop();
  }
  await rm(workDir, { recursive: true, force: true });
  return results;
}

let results: ScenarioResult[];
if (values.report) {
  results = [];
  for (const file of values.report.split(",")) results.push(...(JSON.parse(await readFile(file, "utf8")) as ScenarioResult[]));
} else {
  results = await run();
}
printReport(results);
if (values.svg) await writeFile(values.svg, plot(results));
