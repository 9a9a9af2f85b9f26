/**
 * The pod runner leaves the machine as it found it: after stop(), and after the process that ran it was killed
 * (the watchdog's job), `ip netns list` and the routes are exactly what they were before. While a pod runs, its
 * pod IP is routed through its own veth and every other address of the pod CIDR is unreachable.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { startControlPlane } from "../controlplane/index.ts";
import { runCommand } from "../controlplane/run.ts";
import { waitFor } from "../controlplane/testenv.ts";
import { FIRST_OCTET } from "../controlplane/pods/network.ts";
import { runBareDfsPod } from "./fixtures/pod-runner-pod.ts";

const CHILD = fileURLToPath(new URL("./fixtures/pod-runner-pod.ts", import.meta.url));

async function networkState(): Promise<string> {
  const netns = await runCommand("ip", ["netns", "list"]);
  const routes = await runCommand("ip", ["route", "show", "table", "all"]);
  const links = await runCommand("ip", ["-o", "link", "show"]);
  // Link indexes and counters change with every veth made; names are what must be gone.
  const linkNames = links.stdout.split("\n").map((l) => l.split(":")[1]?.trim() ?? "").filter((n) => n !== "").sort();
  return withoutSharedPlane(`netns:\n${netns.stdout}\nroutes:\n${routes.stdout}\nlinks:\n${linkNames.join("\n")}`);
}

/**
 * The shared control plane of the test run (global setup) runs pods of other test files, whose namespaces, veths
 * and routes come and go while this file runs (a namespace deleted by an earlier file is still draining): its
 * lines are not this test's to compare. They are found by its pod CIDR and the slot that CIDR was leased with.
 */
function withoutSharedPlane(state: string): string {
  const cidr = process.env.DITTOFS_TEST_POD_CIDR;
  if (!cidr) return state;
  const [a, b] = cidr.split(".");
  const slot = Number(b) - FIRST_OCTET;
  const shared = new RegExp(`(^|\\s)(${a}\\.${b}\\.|dfo${slot}[-h]\\d)`);
  return state.split("\n").filter((line) => !shared.test(line)).join("\n");
}

describe("pod runner network cleanup", { concurrency: false }, () => {
  it("routes the pod IP through its own veth, refuses the rest of the CIDR, and removes everything on stop()", async () => {
    const before = await networkState();
    const cp = await startControlPlane({ components: ["etcd", "apiserver", "kwok"], nodes: 1, podRunner: true });
    try {
      const podIP = await runBareDfsPod(cp);
      const during = await networkState();
      assert.match(during, new RegExp(`unreachable ${cp.podCidr.replaceAll(".", "\\.")}`), "the guard route is in place");
      assert.match(during, new RegExp(`${podIP.replaceAll(".", "\\.")} dev dfo\\d+h\\d+`), "the pod IP goes through its veth");
      const health = await fetch(`http://${podIP}:8080/health/ready`, { signal: AbortSignal.timeout(5000) });
      assert.equal(health.status, 200, "the server answers at its pod IP on its own port");
      const unused = podIP.replace(/\.\d+$/, ".250");
      const lookup = await runCommand("ip", ["route", "get", unused]);
      assert.notEqual(lookup.code, 0, `an unused pod address has no route: ${lookup.stdout}`);
      assert.match(lookup.stderr, /unreachable|No route to host/i);
    } finally {
      await cp.stop();
    }
    assert.equal(await networkState(), before);
  });

  it("removes namespaces, veths and routes after the process running the pods was killed", async () => {
    const before = await networkState();
    const child = spawn(process.execPath, [CHILD], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once("line", resolve);
      child.once("exit", (code) => { reject(new Error(`the child exited (${code}) before its pod ran`)); });
    });
    const { podIP } = JSON.parse(first) as { podCidr: string; podIP: string };
    assert.match(await networkState(), new RegExp(podIP.replaceAll(".", "\\.")), "the pod was running");
    child.kill("SIGKILL");
    await exited;
    await waitFor("the watchdog restored the network", async () => ((await networkState()) === before ? true : undefined), { timeoutMs: 30_000, intervalMs: 250 });
  });
});
