/**
 * Global setup for `node --test --test-global-setup=test/controlplane/global-setup.ts`: builds (or finds) the
 * binaries, starts ONE control plane for the whole run and tells the test-file processes about it through
 * environment variables (they inherit the runner's environment). Read them with ./testenv.ts.
 */
import { performance } from "node:perf_hooks";
import { buildBinaries } from "./binaries.ts";
import { startControlPlane } from "./controlplane.ts";
import type { ControlPlane } from "./types.ts";

// Enough for tests that spread replicas over distinct hostnames (anti-affinity) and still cheap for kwok.
const NODES = 3;

let controlPlane: ControlPlane | undefined;

function say(line: string): void {
  process.stderr.write(`[controlplane] ${line}\n`);
}

export async function globalSetup(): Promise<void> {
  const begin = performance.now();
  if (!process.env.DITTOFS_TEST_ASSETS) {
    process.env.DITTOFS_TEST_ASSETS = await buildBinaries(true);
    say(`binaries ready in ${((performance.now() - begin) / 1000).toFixed(1)} s: ${process.env.DITTOFS_TEST_ASSETS}`);
  }
  if (!process.env.DITTOFS_TEST_CRDS) {
    const crdsBegin = performance.now();
    process.env.DITTOFS_TEST_CRDS = await buildBinaries(true, "--crds");
    say(`optional CRDs ready in ${((performance.now() - crdsBegin) / 1000).toFixed(1)} s: ${process.env.DITTOFS_TEST_CRDS}`);
  }
  if (!process.env.DITTOFS_TEST_VERSITYGW) {
    const vgwBegin = performance.now();
    process.env.DITTOFS_TEST_VERSITYGW = await buildBinaries(true, "--versitygw");
    say(`versitygw ready in ${((performance.now() - vgwBegin) / 1000).toFixed(1)} s: ${process.env.DITTOFS_TEST_VERSITYGW}`);
  }
  // The pod runner is opt-in per pod (its label); tests that want a real dfs behind a pod set it.
  controlPlane = await startControlPlane({ audit: true, nodes: NODES, podRunner: true, log: say });
  process.env.DITTOFS_TEST_KUBECONFIG = controlPlane.kubeconfigPath;
  process.env.DITTOFS_TEST_API_SERVER = controlPlane.apiServerUrl;
  process.env.DITTOFS_TEST_AUDIT_LOG = controlPlane.auditLogPath ?? "";
  process.env.DITTOFS_TEST_CA_CERT = controlPlane.caCertPath;
  process.env.DITTOFS_TEST_CA_KEY = controlPlane.caKeyPath;
  process.env.DITTOFS_TEST_ETCD = controlPlane.etcdUrl;
  process.env.DITTOFS_TEST_LOG_DIR = controlPlane.logDir;
  process.env.DITTOFS_TEST_POD_CIDR = controlPlane.podCidr;
}

export async function globalTeardown(): Promise<void> {
  await controlPlane?.stop();
  controlPlane = undefined;
}
