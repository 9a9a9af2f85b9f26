/**
 * The fault suite (issue 15): the operator (`dist/main.js` with the image's Node flags, replicas as the Deployment
 * runs them) on a private local control plane with an audit log, put through faults; one row of figures and
 * PASS/FAIL per scenario. Asserts nothing itself; exits 1 if a row failed.
 *
 *   nice -n 10 npm run bench:faults -- --out docs/faults.json
 *   npm run bench:faults -- --scenarios outage --n 100 --outage-seconds 20
 *   npm run bench:faults -- --report docs/faults/a.json,docs/faults/b.json   # table from saved runs
 *
 * Scenarios, in this order: kill9 (kube-apiserver kill -9 mid-rollout), outage (kube-apiserver stopped for
 * --outage-seconds mid-rollout), leader (leader kill -9 with two replicas), edits (hostile edits to every child
 * kind), delete (--delete-n DittoServers deleted at once), secrets (generated Secret values never in logs, events,
 * statuses or ConfigMaps of the scenarios before it).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KubeClient, loadKubeConfig } from "../src/runtime/client.ts";
import { startControlPlane } from "../test/controlplane/index.ts";
import { buildDist, installCrd, installFinalizerPolicy } from "./common/cluster.ts";
import { hostileEdits, massDelete, secretsNeverLeak } from "./faults/children.ts";
import { checkLines, markdownTable, passed } from "./faults/report.ts";
import type { FaultRow } from "./faults/report.ts";
import type { FaultContext } from "./faults/rollout.ts";
import { apiserverKill, apiserverOutage, leaderKill } from "./faults/scenarios.ts";
import { int, PODS_PER_NODE } from "./scale/spec.ts";

const ALL = ["kill9", "outage", "leader", "edits", "delete", "secrets"] as const;
type Scenario = (typeof ALL)[number];

const { values } = parseArgs({
  options: {
    scenarios: { type: "string", default: ALL.join(",") },
    n: { type: "string", default: "100" },
    "delete-n": { type: "string", default: "150" },
    "outage-seconds": { type: "string", default: "20" },
    out: { type: "string" },
    report: { type: "string" },
  },
});

const log = (line: string): void => { process.stdout.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}\n`); };

function parseScenarioList(text: string): Scenario[] {
  const list = text.split(",").map((s) => s.trim()).filter(Boolean);
  for (const s of list) if (!(ALL as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s} (known: ${ALL.join(", ")})`);
  return ALL.filter((s) => list.includes(s));
}

async function run(): Promise<FaultRow[]> {
  const scenarios = parseScenarioList(values.scenarios);
  const n = int("n", values.n);
  const deleteN = int("delete-n", values["delete-n"]);
  const rollouts = scenarios.filter((s) => s === "kill9" || s === "outage" || s === "leader").length;
  const pods = rollouts * n + 1 + (scenarios.includes("delete") ? deleteN : 0) + 2; // +2: the hostile StatefulSet scale-up
  const nodes = Math.ceil(pods / PODS_PER_NODE) + 1;
  log(`building dist/; control plane with ${nodes} kwok nodes`);
  await buildDist();
  const workDir = await mkdtemp(join(tmpdir(), "dittofs-faults-"));
  // The pod runner guards the pod CIDR with an unreachable route: the operator dials pod IPs (the DittoFS API),
  // and kwok's pods have no process behind them, so those calls must fail fast and never leave the host.
  const cp = await startControlPlane({ audit: true, nodes, podRunner: true });
  const rows: FaultRow[] = [];
  try {
    const admin = new KubeClient(loadKubeConfig(cp.kubeconfigPath), { fieldManager: "dittofs-bench" });
    await installCrd(admin);
    await installFinalizerPolicy(admin, cp);
    const ctx: FaultContext = { cp, admin, workDir, n, log, namespaces: [], operatorLogs: [] };
    const steps: Record<Scenario, () => Promise<FaultRow>> = {
      kill9: () => apiserverKill(ctx),
      outage: () => apiserverOutage(ctx, int("outage-seconds", values["outage-seconds"]) * 1000),
      leader: () => leaderKill(ctx),
      edits: () => hostileEdits(ctx),
      delete: () => massDelete(ctx, deleteN),
      secrets: () => secretsNeverLeak(ctx),
    };
    for (const s of scenarios) {
      log(`scenario ${s}`);
      const row = await steps[s]();
      rows.push(row);
      log(`  ${passed(row) ? "PASS" : "FAIL"} ${JSON.stringify(row.figures)}`);
      if (values.out) await writeFile(values.out, `${JSON.stringify(rows, null, 2)}\n`);
    }
    await admin.close();
  } finally {
    await cp.stop();
  }
  await rm(workDir, { recursive: true, force: true });
  return rows;
}

async function saved(files: string): Promise<FaultRow[]> {
  const rows: FaultRow[] = [];
  for (const file of files.split(",")) rows.push(...(JSON.parse(await readFile(file, "utf8")) as FaultRow[]));
  return rows;
}

const rows = values.report ? await saved(values.report) : await run();
process.stdout.write(`\n${markdownTable(rows)}\n\n${checkLines(rows).join("\n")}\n`);
if (!rows.every(passed)) process.exitCode = 1;
