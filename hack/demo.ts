/**
 * The demo: a real local control plane, the CRD, the operator (`src/main.ts`) as a child process, and the minimal
 * sample DittoServer, with its conditions printed as they change until `kubectl get dittoservers` says READY 1/1,
 * Running. Its pod is a real `dfs` (the control plane's pod runner, which needs root): beside the table the demo
 * prints the server's own `/health/ready` answer, fetched at the pod IP. Then it keeps running (use the printed
 * kubeconfig with kubectl) until Ctrl-C, and tears everything down.
 *
 *   npm run demo                       # until Ctrl-C
 *   npm run demo -- --exit-when-ready  # scripted: exit 0 once Ready, non-zero on failure or timeout
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { CRD_DIR, crdName, CRDS } from "../src/api/crd.ts";
import { RUNNER_LABEL, startControlPlane } from "../test/controlplane/index.ts";
import { runCommand } from "../test/controlplane/run.ts";
import type { ControlPlane } from "../test/controlplane/index.ts";
import { conditionChanges, isReadyRow, parseArgs } from "./demo-status.ts";
import type { DemoCondition } from "./demo-status.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CRD_KUSTOMIZATION = join(ROOT, CRD_DIR);
const SAMPLE = join(ROOT, "deploy/samples/dittoserver-minimal.yaml");
const NAMESPACE = "default";

const say = (line: string): void => { process.stdout.write(`[demo ${new Date().toISOString().slice(11, 19)}] ${line}\n`); };

const run = (cmd: string, args: string[], input?: string) => runCommand(cmd, args, { input });

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const stateDir = mkdtempSync(join(tmpdir(), "dittofs-operator-demo-"));
  const kubeconfig = join(stateDir, "kubeconfig");
  const operatorLog = join(stateDir, "operator.log");
  let cp: ControlPlane | undefined;
  let operator: ChildProcess | undefined;
  let operatorExited: Promise<void> = Promise.resolve();
  let tornDown = false;

  const teardown = async (): Promise<void> => {
    if (tornDown) return;
    tornDown = true;
    if (operator && operator.exitCode === null) {
      say("stopping the operator (SIGTERM)");
      operator.kill("SIGTERM");
      await Promise.race([operatorExited, new Promise((r) => setTimeout(r, 35_000).unref())]);
      if (operator.exitCode === null) operator.kill("SIGKILL");
    }
    if (cp) {
      say("stopping the control plane");
      await cp.stop();
    }
    if (!args.keepLogs) rmSync(stateDir, { recursive: true, force: true });
    else say(`logs kept in ${stateDir}`);
  };
  let interrupted: () => void = () => undefined;
  const interruptedP = new Promise<void>((resolve) => { interrupted = resolve; });
  const onSignal = (): void => {
    say("interrupted: tearing down");
    interrupted();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    say("building or reusing the control-plane binaries (hack/build-binaries.sh; the first build takes minutes)");
    // The pod runner makes network namespaces and routes: root only. Without it the pod is kwok's, with nothing behind it.
    const realServer = process.getuid?.() === 0;
    if (!realServer) say("not root: the pod will be kwok's alone (the pod runner that runs a real dfs needs root)");
    cp = await startControlPlane({ nodes: 1, podRunner: realServer, log: (line) => { say(`control plane: ${line}`); } });
    writeFileSync(kubeconfig, cp.kubeconfigYaml, { mode: 0o600 });
    say(`admin kubeconfig (valid while the demo runs): ${kubeconfig}`);
    const kubectl = join(cp.binDir, "kubectl");
    const k = (kargs: string[], input?: string) => run(kubectl, ["--kubeconfig", kubeconfig, ...kargs], input);

    say("installing the CRDs");
    const crd = await k(["apply", "--server-side", "-k", CRD_KUSTOMIZATION]);
    if (crd.code !== 0) throw new Error(`installing the CRDs failed: ${crd.stderr}`);
    const established = await k(["wait", "--for=condition=Established", "--timeout=60s", ...CRDS.map((c) => `crd/${crdName(c)}`)]);
    if (established.code !== 0) throw new Error(`the CRDs did not become Established: ${established.stderr}`);

    say(`starting the operator (log: ${operatorLog})`);
    const log = createWriteStream(operatorLog);
    // The demo runs under the project's Node 24 (npm run), so process.execPath runs the TypeScript directly.
    operator = spawn(process.execPath, [join(ROOT, "src/main.ts"), "--kubeconfig", kubeconfig, "--metrics-bind-address=0", "--health-probe-bind-address=0", "--poll-period=2s"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    operator.stdout?.pipe(log);
    operator.stderr?.pipe(log);
    const child = operator;
    operatorExited = new Promise((resolve) => child.once("exit", () => { resolve(); }));
    const operatorDied = operatorExited.then(() => {
      if (!tornDown) throw new Error(`the operator exited with code ${child.exitCode ?? "?"}; its log:\n${tail(operatorLog)}`);
    });

    say(`applying ${SAMPLE.slice(ROOT.length)}${realServer ? ` with pod label ${RUNNER_LABEL}=true (a real dfs behind the pod)` : ""}`);
    const sample = parseYaml(readFileSync(SAMPLE, "utf8")) as { spec: { podLabels?: Record<string, string> } };
    if (realServer) sample.spec.podLabels = { ...sample.spec.podLabels, [RUNNER_LABEL]: "true" };
    const applied = await k(["apply", "-n", NAMESPACE, "-f", "-"], JSON.stringify(sample));
    if (applied.code !== 0) throw new Error(`applying the sample failed: ${applied.stderr}`);

    const ready = waitReady(k, args.timeoutMs);
    const outcome = await Promise.race([ready.then(() => "ready" as const), operatorDied.then(() => "died" as const), interruptedP.then(() => "interrupted" as const)]);
    if (outcome === "interrupted") return 130;
    const table = await k(["get", "dittoservers", "-n", NAMESPACE]);
    process.stdout.write(`\n$ kubectl get dittoservers\n${table.stdout}\n`);
    if (realServer) process.stdout.write(`${await serverHealth(k)}\n`);
    say("the DittoServer is Ready.");
    say(`try: kubectl --kubeconfig ${kubeconfig} get ditto,statefulsets,pods,services -n ${NAMESPACE}`);
    if (args.exitWhenReady) return 0;
    say("running until Ctrl-C");
    await Promise.race([interruptedP, operatorDied]);
    return 0;
  } catch (err) {
    process.stderr.write(`[demo] failed: ${err instanceof Error ? err.message : String(err)}\n`);
    if (cp) process.stderr.write(`[demo] control-plane logs: ${cp.logDir} (removed on exit unless DITTOFS_TEST_KEEP_WORKDIR=1)\n`);
    return 1;
  } finally {
    await teardown();
  }
}

/** The server's own readiness answer, fetched at the pod IP (no port-forward: the pod runner routes it). */
async function serverHealth(k: (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>): Promise<string> {
  const ip = await k(["get", "pod", "minimal-0", "-n", NAMESPACE, "-o", "jsonpath={.status.podIP}"]);
  if (ip.code !== 0 || ip.stdout.trim() === "") throw new Error(`the pod has no IP: ${ip.stderr}`);
  const url = `http://${ip.stdout.trim()}:8080/health/ready`;
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return `$ curl ${url}   # the dfs in pod minimal-0\nHTTP ${res.status} ${await res.text()}\n`;
}

function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Polls the sample's status, prints condition changes, resolves when the table row reads READY 1/1, Running. */
async function waitReady(k: (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let previous: DemoCondition[] = [];
  let lastPhase = "";
  for (;;) {
    const got = await k(["get", "dittoserver", "minimal", "-n", NAMESPACE, "-o", "json"]);
    if (got.code === 0) {
      const obj = JSON.parse(got.stdout) as { status?: { phase?: string; ready?: string; conditions?: DemoCondition[] } };
      const conditions = obj.status?.conditions ?? [];
      for (const line of conditionChanges(previous, conditions)) say(line);
      previous = conditions;
      const phase = `${obj.status?.phase ?? "-"} (ready ${obj.status?.ready ?? "-"})`;
      if (phase !== lastPhase) say(`phase: ${phase}`);
      lastPhase = phase;
      const table = await k(["get", "dittoservers", "minimal", "-n", NAMESPACE, "--no-headers"]);
      if (table.code === 0 && isReadyRow(table.stdout)) return;
    }
    if (Date.now() > deadline) throw new Error(`the DittoServer was not Ready within ${timeoutMs / 1000} s (last phase ${lastPhase})`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

// Exit explicitly: a stray handle (a kubectl still running after an interrupt) must not keep the demo alive.
process.exit(await main());
