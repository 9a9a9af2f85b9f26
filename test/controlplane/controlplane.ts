/**
 * Starts a real control plane as child processes: etcd → kube-apiserver → kube-controller-manager →
 * kube-scheduler → kwok, then the kwok StorageClass and fake Nodes, and waits until those Nodes are Ready.
 */
import { appendFileSync } from "node:fs";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parse as parseYaml } from "yaml";
import { resolveBinDir } from "./binaries.ts";
import {
  AUDIT_POLICY_YAML,
  DEFAULT_POD_CIDR,
  FIRST_SERVICE_IP,
  apiserverArgs,
  controllerManagerArgs,
  etcdArgs,
  fakeNode,
  kwokArgs,
  kwokStages,
  schedulerArgs,
} from "./flags.ts";
import type { Layout, Ports } from "./flags.ts";
import { fetchText } from "./http.ts";
import type { HttpOptions } from "./http.ts";
import { renderKubeconfig } from "./kubeconfig.ts";
import { createPki } from "./pki.ts";
import { allocatePorts } from "./ports.ts";
import { dittofsImages } from "./pods/images.ts";
import { leasePodNetwork } from "./pods/network.ts";
import type { PodNetwork } from "./pods/network.ts";
import { RUNNER_LABEL, startPodRunner } from "./pods/runner.ts";
import type { PodRunner } from "./pods/runner.ts";
import { startFailure, startProcess } from "./process.ts";
import type { ManagedProcess } from "./process.ts";
import { ALL_COMPONENTS } from "./types.ts";
import type { Component, ControlPlane, ControlPlaneOptions } from "./types.ts";
import { startWatchdog } from "./watchdog.ts";

// Generous: the machine may be busy compiling while tests start.
const READY_TIMEOUT_MS: Record<Component, number> = {
  etcd: 30_000,
  apiserver: 120_000,
  "controller-manager": 60_000,
  scheduler: 60_000,
  kwok: 60_000,
};
const STOP_GRACE_MS = 10_000;

function checkComponents(requested: Component[] | undefined): Set<Component> {
  const components = new Set(requested ?? ALL_COMPONENTS);
  for (const c of components) {
    if (!ALL_COMPONENTS.includes(c)) throw new Error(`unknown control-plane component ${JSON.stringify(c)}`);
  }
  if (components.has("apiserver") && !components.has("etcd")) throw new Error("component apiserver needs etcd");
  for (const c of ["controller-manager", "scheduler", "kwok"] as const) {
    if (components.has(c) && !components.has("apiserver")) throw new Error(`component ${c} needs apiserver`);
  }
  return components;
}

/** Polls `probe` until it returns true; fails early, with the log tail, if the process exits meanwhile. */
async function untilReady(proc: ManagedProcess, timeoutMs: number, probe: () => Promise<true | string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "not probed yet";
  for (;;) {
    const exit = proc.exitReason();
    if (exit !== undefined) throw startFailure(proc, `exited (${exit})`);
    try {
      const result = await probe();
      if (result === true) return;
      last = result;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw startFailure(proc, `not ready after ${timeoutMs / 1000} s (last probe: ${last})`);
    await sleep(200);
  }
}

async function httpProbe(url: string, opts: HttpOptions): Promise<true | string> {
  const res = await fetchText(url, { ...opts, timeoutMs: 3000 });
  return res.status === 200 ? true : `HTTP ${res.status} ${res.body.slice(0, 300)}`;
}

interface NodeStatus {
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string }[] };
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const components = checkComponents(options.components);
  const nodeCount = options.nodes ?? 1;
  if (!Number.isInteger(nodeCount) || nodeCount < 0) throw new Error(`nodes must be a whole number ≥ 0, got ${nodeCount}`);
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  const binDir = await resolveBinDir();

  const ownsWorkDir = options.workDir === undefined;
  const workDir = options.workDir ? resolve(options.workDir) : await mkdtemp(join(tmpdir(), "dittofs-controlplane-"));
  const logDir = join(workDir, "logs");
  const layoutEtcdDir = join(workDir, "etcd");
  await Promise.all(["pki", "logs", "etcd"].map((d) => mkdir(join(workDir, d), { recursive: true, mode: 0o700 })));
  const watchdog = startWatchdog();
  if (ownsWorkDir) watchdog.removeOnExit(workDir);
  const lease = await allocatePorts(5);
  const [etcdClient, etcdPeer, apiserver, controllerManager, scheduler] = lease.ports as [
    number, number, number, number, number,
  ];
  const ports: Ports = { etcdClient, etcdPeer, apiserver, controllerManager, scheduler };
  const apiServerUrl = `https://127.0.0.1:${ports.apiserver}`;
  const etcdUrl = `http://127.0.0.1:${ports.etcdClient}`;

  const procs: Partial<Record<Component, ManagedProcess>> = {};
  let podNetwork: PodNetwork | undefined;
  let podRunner: PodRunner | undefined;
  let stopped = false;
  /** Reverse start order. After a failed start the logs stay (the error names them); only etcd's data goes. */
  const stop = async (keepLogs = false): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // The runner's containers first (they are the pods), then its namespaces and routes.
    if (podRunner) await podRunner.stop();
    else await podNetwork?.close();
    for (const name of [...ALL_COMPONENTS].reverse()) await procs[name]?.stop(STOP_GRACE_MS);
    lease.release();
    if (ownsWorkDir && !keepLogs && !process.env.DITTOFS_TEST_KEEP_WORKDIR) {
      await rm(workDir, { recursive: true, force: true });
    } else {
      watchdog.forget(workDir);
      await rm(layoutEtcdDir, { recursive: true, force: true });
    }
    watchdog.close();
  };

  try {
    if (options.podRunner) {
      if (!components.has("kwok")) throw new Error("podRunner needs kwok (it assigns the pod IPs)");
      podNetwork = await leasePodNetwork(watchdog);
      // Before anything can create a pod namespace: no pod address may ever follow the default route.
      await podNetwork.guard();
    }
    const pki = await createPki(join(workDir, "pki"), [
      "IP:127.0.0.1",
      "DNS:localhost",
      `IP:${FIRST_SERVICE_IP}`,
      "DNS:kubernetes",
      "DNS:kubernetes.default",
      "DNS:kubernetes.default.svc",
      "DNS:kubernetes.default.svc.cluster.local",
    ]);
    const layout: Layout = {
      workDir,
      etcdDataDir: layoutEtcdDir,
      adminKubeconfigPath: join(workDir, "admin.kubeconfig"),
      auditPolicyPath: join(workDir, "audit-policy.yaml"),
      auditLogPath: options.audit ? join(workDir, "audit", "audit.log") : undefined,
      kwokStagesPath: join(workDir, "kwok-stages.yaml"),
      podCidr: podNetwork?.cidr ?? DEFAULT_POD_CIDR,
      pki,
    };
    await writeFile(layout.kwokStagesPath, kwokStages(await readFile(join(binDir, "kwok-stages.yaml"), "utf8"), RUNNER_LABEL));
    if (options.audit) {
      await mkdir(join(workDir, "audit"), { recursive: true });
      await writeFile(layout.auditPolicyPath, AUDIT_POLICY_YAML);
    }
    const kubeconfigYaml = renderKubeconfig({
      server: apiServerUrl,
      caCertPath: pki.caCertPath,
      credentials: { clientCertPath: pki.adminCertPath, clientKeyPath: pki.adminKeyPath },
    });
    await writeFile(layout.adminKubeconfigPath, kubeconfigYaml, { mode: 0o600 });
    const [ca, cert, key] = await Promise.all([pki.caCertPath, pki.adminCertPath, pki.adminKeyPath].map((p) => readFile(p)));
    const admin = { ca, cert, key };
    const api = async (method: string, path: string, body?: unknown): Promise<unknown> => {
      const res = await fetchText(`${apiServerUrl}${path}`, { ...admin, method, body });
      if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.body.slice(0, 500)}`);
      return JSON.parse(res.body) as unknown;
    };

    const launch = async (
      name: Component,
      binary: string,
      args: string[],
      probe: () => Promise<true | string>,
    ): Promise<ManagedProcess> => {
      const begin = performance.now();
      const proc = startProcess({ name, command: join(binDir, binary), args, logPath: join(logDir, `${name}.log`) }, watchdog);
      try {
        await untilReady(proc, READY_TIMEOUT_MS[name], probe);
      } catch (err) {
        await proc.stop(STOP_GRACE_MS); // it may still be running after a readiness timeout
        throw err;
      }
      log(`${name} ready in ${((performance.now() - begin) / 1000).toFixed(1)} s`);
      return proc;
    };
    const startApiServerProcess = async (): Promise<void> => {
      procs.apiserver = await launch("apiserver", "kube-apiserver", apiserverArgs(layout, ports), () =>
        httpProbe(`${apiServerUrl}/readyz`, admin),
      );
    };

    if (components.has("etcd")) {
      procs.etcd = await launch("etcd", "etcd", etcdArgs(layout, ports), async () => {
        const res = await fetchText(`${etcdUrl}/health`, { timeoutMs: 3000 });
        return res.status === 200 && res.body.includes('"true"') ? true : `HTTP ${res.status} ${res.body}`;
      });
    }
    if (components.has("apiserver")) await startApiServerProcess();
    const component = async (name: Component, binary: string, args: string[], port: number): Promise<void> => {
      if (!components.has(name)) return;
      // Their serving certificates are self-signed throwaways; only the status code matters here.
      procs[name] = await launch(name, binary, args, () => httpProbe(`https://127.0.0.1:${port}/healthz`, { insecure: true }));
    };
    await component("controller-manager", "kube-controller-manager", controllerManagerArgs(layout, ports), ports.controllerManager);
    await component("scheduler", "kube-scheduler", schedulerArgs(layout, ports), ports.scheduler);

    if (components.has("kwok")) {
      const begin = performance.now();
      const kwok = startProcess(
        { name: "kwok", command: join(binDir, "kwok"), args: kwokArgs(layout), logPath: join(logDir, "kwok.log") },
        watchdog,
      );
      procs.kwok = kwok;
      const storageClass = parseYaml(await readFile(join(binDir, "kwok-storage-class.yaml"), "utf8")) as unknown;
      await api("POST", "/apis/storage.k8s.io/v1/storageclasses", storageClass);
      const names = Array.from({ length: nodeCount }, (_, i) => `kwok-node-${i}`);
      for (const name of names) await api("POST", "/api/v1/nodes", fakeNode(name));
      await untilReady(kwok, READY_TIMEOUT_MS.kwok, async () => {
        const list = (await api("GET", "/api/v1/nodes?labelSelector=type%3Dkwok")) as { items: NodeStatus[] };
        const ready = new Set(
          list.items
            .filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
            .map((n) => n.metadata.name),
        );
        const missing = names.filter((n) => !ready.has(n));
        return missing.length === 0 ? true : `nodes not Ready yet: ${missing.join(", ")}`;
      });
      log(`kwok and ${nodeCount} Ready node(s) in ${((performance.now() - begin) / 1000).toFixed(1)} s`);
    }
    if (podNetwork) {
      const runnerLog = join(logDir, "pod-runner.log");
      podRunner = startPodRunner({
        api: (method, path, body, contentType) => fetchText(`${apiServerUrl}${path}`, { ...admin, method, body, contentType }),
        network: podNetwork,
        watchdog,
        dir: join(workDir, "pod-runner"),
        logDir,
        images: dittofsImages(binDir),
        log: (line) => {
          appendFileSync(runnerLog, `${new Date().toISOString()} ${line}\n`);
        },
      });
      log(`pod runner on ${podNetwork.cidr}: pods labelled ${RUNNER_LABEL} run for real (log ${runnerLog})`);
    }
    log(`control plane up in ${((performance.now() - started) / 1000).toFixed(1)} s (work dir ${workDir})`);

    return {
      kubeconfigPath: layout.adminKubeconfigPath,
      kubeconfigYaml,
      apiServerUrl,
      etcdUrl,
      binDir,
      logDir,
      workDir,
      podCidr: layout.podCidr,
      auditLogPath: layout.auditLogPath,
      caCertPath: pki.caCertPath,
      caKeyPath: pki.caKeyPath,
      stopApiServer: async () => {
        if (!components.has("apiserver")) throw new Error("this control plane runs no apiserver");
        await procs.apiserver?.stop(STOP_GRACE_MS);
      },
      killApiServer: async () => {
        if (!components.has("apiserver")) throw new Error("this control plane runs no apiserver");
        await procs.apiserver?.kill();
      },
      startApiServer: async () => {
        if (!components.has("apiserver")) throw new Error("this control plane runs no apiserver");
        if (stopped) throw new Error("the control plane has been stopped");
        if (procs.apiserver?.exitReason() === undefined) return; // still running
        await startApiServerProcess();
      },
      stop: () => stop(),
    };
  } catch (err) {
    await stop(true);
    throw err;
  }
}
