/** Where the control-plane binaries are: DITTOFS_TEST_ASSETS, or whatever hack/build-binaries.sh builds. */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const BUILD_SCRIPT = fileURLToPath(new URL("../../hack/build-binaries.sh", import.meta.url));

const REQUIRED = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kubectl",
  "kwok",
  "kwok-stages.yaml",
  "kwok-storage-class.yaml",
];

export function checkBinDir(dir: string): void {
  const missing = REQUIRED.filter((name) => {
    try {
      accessSync(join(dir, name), name.endsWith(".yaml") ? constants.R_OK : constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(`control-plane assets missing in ${dir}: ${missing.join(", ")} (run ${BUILD_SCRIPT})`);
  }
}

/**
 * Runs the build script (instant once its cache is complete) and returns the directory it prints. The script's
 * progress goes to our stderr when `streamLog` is set: a cold build takes minutes and should not look hung.
 * `mode` `--crds` generates the optional CRDs (ServiceMonitor) into their own cache directory instead; `--versitygw`
 * builds the S3-compatible test server and returns the binary's path.
 */
export function buildBinaries(streamLog: boolean, mode?: "--crds" | "--versitygw"): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [BUILD_SCRIPT, ...(mode ? [mode] : [])], { stdio: ["ignore", "pipe", streamLog ? "inherit" : "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code) => {
      const dir = stdout.trim().split("\n").pop() ?? "";
      if (code !== 0 || dir === "") {
        reject(new Error(`${BUILD_SCRIPT} failed (exit code ${code ?? "?"})${stderr ? `:\n${stderr.slice(-4000)}` : ""}`));
        return;
      }
      resolve(dir);
    });
  });
}

/** The asset dir to use: DITTOFS_TEST_ASSETS if set (the global setup sets it), else the build script's. */
export async function resolveBinDir(streamLog = false): Promise<string> {
  const dir = process.env.DITTOFS_TEST_ASSETS || (await buildBinaries(streamLog));
  checkBinDir(dir);
  return dir;
}
