/**
 * The pod runner: the kubelet of the pods that opt in with the label RUNNER_LABEL=true (kwok's stages skip them,
 * see ../flags.ts). For each such pod, once it is bound and kwok gave it an IP, the runner
 *
 * - makes its network namespace at that IP (./network.ts);
 * - materialises its volumes: ConfigMap/Secret files (items, modes) rewritten at every container start, emptyDirs
 *   that live as long as the pod, claims as directories keyed by PVC UID that live as long as the runner (a
 *   recreated pod with the same claim finds its data; a recreated claim does not);
 * - starts every container from its own spec (command or the image's entrypoint, args, env with Secret/ConfigMap/
 *   field references) in a private root with the volumes at their mountPaths (./container.ts);
 * - runs the startup, readiness and liveness probes against the pod IP and reports them in the pod's status
 *   (started, ready, the Ready condition); restarts an exited or unhealthy container with the kubelet's back-off,
 *   showing restartCount and lastState;
 * - on deletion runs the preStop hook, sends SIGTERM, SIGKILLs when terminationGracePeriodSeconds (or the
 *   deletion's own grace period) is spent, and only then removes the pod object.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { constants } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { runCommand } from "../run.ts";
import type { Watchdog } from "../watchdog.ts";
import { startContainer } from "./container.ts";
import type { RunningContainer } from "./container.ts";
import type { ImageContent } from "./images.ts";
import type { PodNetwork } from "./network.ts";
import { listening, probeOnce } from "./probes.ts";
import { prepareContainer } from "./launch.ts";
import type { PreparedContainer, RunnerPod as Pod } from "./launch.ts";
import type { Container, ProbeSpec } from "./spec.ts";
import { ConditionClock, podStatusPatch, restartBackoffMs, terminatedState } from "./status.ts";
import type { ContainerView } from "./status.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";

/** Pods with this label set to "true" get real processes; every other pod stays kwok's. */
export const RUNNER_LABEL = "dittofs-operator.test/pod-runner";

export type ApiRequest = (method: string, path: string, body?: unknown, contentType?: string) => Promise<{ status: number; body: string }>;

export interface PodRunnerOptions {
  api: ApiRequest;
  network: PodNetwork;
  watchdog: Watchdog;
  /** Private directory for volumes and container roots. */
  dir: string;
  /** Container logs go to `<logDir>/pods/<namespace>_<pod>_<container>.log`, the runner's own to pod-runner.log. */
  logDir: string;
  images: (image: string) => ImageContent | undefined;
  log: (line: string) => void;
}

export interface PodRunner {
  /** Kills every container (SIGTERM, 5 s, SIGKILL) and removes every namespace; pod objects are left as they are. */
  stop(): Promise<void>;
}

interface ContainerRun {
  spec: Container;
  view: ContainerView;
  process?: RunningContainer;
}

interface PodRun {
  pod: Pod;
  podIP: string;
  /** When the runner first saw the pod bound to a node (before kwok gave it an IP): the start-up clock's zero. */
  boundAt: number;
  netns?: string;
  dir: string;
  startTime: string;
  clock: ConditionClock;
  containers: ContainerRun[];
  terminating: boolean;
  /** Resolves when termination is requested (wakes back-off sleeps). */
  terminate: AbortController;
  done: Promise<void>;
}

const POLL_MS = 300;
const SHUTDOWN_GRACE_MS = 5000;

export function startPodRunner(opts: PodRunnerOptions): PodRunner {
  const runs = new Map<string, PodRun>();
  const podLogDir = join(opts.logDir, "pods");
  mkdirSync(podLogDir, { recursive: true });
  let stopped = false;

  const podPath = (pod: Pod): string => `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
  const getJson = async (path: string): Promise<KubeObject | undefined> => {
    const res = await opts.api("GET", path);
    if (res.status === 404) return undefined;
    if (res.status >= 300) throw new Error(`GET ${path}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
    return JSON.parse(res.body) as KubeObject;
  };

  const reportStatus = async (run: PodRun): Promise<void> => {
    const patch = podStatusPatch(
      { startTime: run.startTime, containers: run.containers.map((c) => c.view), initContainers: (run.pod.spec.initContainers ?? []).map((c) => ({ name: c.name, image: c.image ?? "" })) },
      run.clock,
      new Date().toISOString(),
    );
    const res = await opts.api("PATCH", `${podPath(run.pod)}/status`, patch, "application/strategic-merge-patch+json");
    if (res.status >= 300 && res.status !== 404) opts.log(`status of ${run.pod.metadata.namespace}/${run.pod.metadata.name}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
  };

  /** Runs one container until the pod terminates: start, probe, restart with back-off. */
  const runContainer = async (run: PodRun, c: ContainerRun): Promise<void> => {
    const pod = run.pod;
    const label = `${pod.metadata.namespace}/${pod.metadata.name}/${c.spec.name}`;
    const image = opts.images(c.spec.image ?? "");
    while (!run.terminating) {
      if (!image) {
        c.view.state = { waiting: { reason: "ErrImagePull", message: `the pod runner has no content for image ${c.spec.image ?? "(none)"}` } };
        await reportStatus(run);
        return;
      }
      let prepared: PreparedContainer;
      try {
        prepared = await prepareContainer({ pod: run.pod, podIP: run.podIP, container: c.spec, image, podDir: run.dir, claimsDir: join(opts.dir, "claims"), get: getJson });
      } catch (err) {
        c.view.state = { waiting: { reason: "CreateContainerConfigError", message: (err as Error).message } };
        await reportStatus(run);
        await sleep(2000, undefined, { signal: run.terminate.signal }).catch(() => undefined);
        continue;
      }
      const sc = { ...pod.spec.securityContext, ...c.spec.securityContext };
      const proc = startContainer(
        {
          netns: run.netns!,
          rootDir: join(run.dir, "roots", c.spec.name),
          mounts: prepared.mounts,
          imageDirs: image.ownedDirs.map((path) => ({ path, uid: image.uid, gid: image.gid })),
          readOnlyRoot: c.spec.securityContext?.readOnlyRootFilesystem === true,
          uid: sc.runAsUser ?? image.uid,
          gid: sc.runAsGroup ?? image.gid,
          groups: sc.fsGroup !== undefined ? [sc.fsGroup] : [],
          argv: [...(c.spec.command ?? image.entrypoint), ...(c.spec.args ?? [])],
          env: prepared.env,
          logPath: join(podLogDir, `${pod.metadata.namespace}_${pod.metadata.name}_${c.spec.name}.log`),
        },
        opts.watchdog,
      );
      c.process = proc;
      c.view = { ...c.view, containerID: `pod-runner://${proc.pid}`, state: { running: { startedAt: proc.startedAt.toISOString() } }, started: false, ready: false };
      await reportStatus(run);
      void measureStart(run, c, proc, label);
      const probing = probe(run, c, proc);
      const exit = await proc.exited;
      probing.abort();
      c.process = undefined;
      const ended = terminatedState(exit, proc.startedAt, exit.finishedAt, (s) => constants.signals[s]);
      opts.log(`${label} exited (${exit.signal ?? `code ${exit.code}`})${run.terminating ? " on termination" : ""}`);
      if (run.terminating) {
        c.view = { ...c.view, containerID: undefined, state: ended, started: false, ready: false };
        return;
      }
      c.view = { ...c.view, containerID: undefined, lastState: ended, restartCount: c.view.restartCount + 1, started: false, ready: false };
      c.view.state = { waiting: { reason: "CrashLoopBackOff", message: `back-off restarting failed container ${c.spec.name}` } };
      await reportStatus(run);
      await sleep(restartBackoffMs(c.view.restartCount), undefined, { signal: run.terminate.signal }).catch(() => undefined);
    }
  };

  /** Logs how long the server took from the pod being bound to its first port accepting connections. */
  const measureStart = async (run: PodRun, c: ContainerRun, proc: RunningContainer, label: string): Promise<void> => {
    const port = c.spec.ports?.[0]?.containerPort;
    if (port === undefined) return;
    while (c.process === proc) {
      if (await listening(run.podIP, port)) {
        opts.log(`${label} listening on ${run.podIP}:${port} ${Date.now() - run.boundAt} ms after the pod was bound, ${Date.now() - proc.startedAt.getTime()} ms after its start`);
        return;
      }
      await sleep(50);
    }
  };

  /** The probe workers of one container process; returns an abort handle. */
  const probe = (run: PodRun, c: ContainerRun, proc: RunningContainer): AbortController => {
    const stop = new AbortController();
    const every = async (spec: ProbeSpec, onResult: (ok: boolean, detail: string) => Promise<boolean>): Promise<void> => {
      // initialDelaySeconds counts from the container's start, as in the kubelet, not from the end of start-up.
      const delay = proc.startedAt.getTime() + (spec.initialDelaySeconds ?? 0) * 1000 - Date.now();
      await sleep(Math.max(0, delay), undefined, { signal: stop.signal });
      for (;;) {
        const result = await probeOnce(c.spec, spec, run.podIP);
        if (stop.signal.aborted) return;
        if (!(await onResult(result.ok, result.detail))) return;
        await sleep((spec.periodSeconds ?? 10) * 1000, undefined, { signal: stop.signal });
      }
    };
    const failures = (spec: ProbeSpec, what: string, onFail: () => void): ((ok: boolean, detail: string) => Promise<boolean>) => {
      let failed = 0;
      return (ok, detail) => {
        failed = ok ? 0 : failed + 1;
        if (failed >= (spec.failureThreshold ?? 3)) {
          opts.log(`${run.pod.metadata.namespace}/${run.pod.metadata.name}/${c.spec.name}: ${what} probe failed ${failed} times (${detail}); restarting`);
          onFail();
          return Promise.resolve(false);
        }
        return Promise.resolve(true);
      };
    };
    const restart = (): void => {
      proc.signal("SIGTERM");
      const grace = (run.pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
      setTimeout(() => {
        if (c.process === proc) proc.signal("SIGKILL");
      }, grace).unref();
    };
    const afterStart = async (): Promise<void> => {
      c.view = { ...c.view, started: true, ready: c.spec.readinessProbe === undefined };
      await reportStatus(run);
      const readiness = c.spec.readinessProbe;
      const liveness = c.spec.livenessProbe;
      await Promise.all([
        readiness &&
          every(readiness, async (ok) => {
            if (ok !== c.view.ready && c.process === proc) {
              c.view = { ...c.view, ready: ok };
              await reportStatus(run);
            }
            return true;
          }),
        liveness && every(liveness, failures(liveness, "liveness", restart)),
      ]);
    };
    const startup = c.spec.startupProbe;
    const fail = failures(startup ?? {}, "startup", restart);
    const work = startup
      ? every(startup, async (ok, detail) => {
          if (!ok) return fail(ok, detail);
          void afterStart().catch(() => undefined);
          return false;
        })
      : afterStart();
    work.catch(() => undefined); // aborted sleeps end the workers
    return stop;
  };

  /** preStop, SIGTERM, SIGKILL at the end of the grace period; then the pod object goes. */
  const terminate = async (run: PodRun, graceSeconds: number): Promise<void> => {
    const deadline = Date.now() + graceSeconds * 1000;
    run.terminating = true;
    run.terminate.abort();
    const running = run.containers.filter((c) => c.process);
    await Promise.all(
      running.map(async (c) => {
        const proc = c.process!;
        const preStop = c.spec.lifecycle?.preStop;
        if (preStop?.sleep) await sleep(Math.min(preStop.sleep.seconds * 1000, Math.max(0, deadline - Date.now())));
        if (preStop?.exec && run.netns) {
          // Run in the pod's network namespace on this machine's filesystem: the image's shell is not in the root.
          await Promise.race([runCommand("ip", ["netns", "exec", run.netns, ...preStop.exec.command]), sleep(Math.max(0, deadline - Date.now()))]);
        }
        proc.signal("SIGTERM");
        const timer = setTimeout(() => { proc.signal("SIGKILL"); }, Math.max(0, deadline - Date.now()));
        await proc.exited;
        clearTimeout(timer);
      }),
    );
  };

  const finish = async (run: PodRun): Promise<void> => {
    if (run.netns) await opts.network.removePod(run.netns).catch((err: unknown) => { opts.log(`removing ${run.netns}: ${(err as Error).message}`); });
    rmSync(run.dir, { recursive: true, force: true });
  };

  const startRun = (pod: Pod, podIP: string, boundAt: number): PodRun => {
    const run: PodRun = {
      pod,
      podIP,
      boundAt,
      dir: join(opts.dir, "pods", pod.metadata.uid),
      startTime: new Date().toISOString(),
      clock: new ConditionClock(),
      containers: pod.spec.containers.map((spec) => ({
        spec,
        view: { name: spec.name, image: spec.image ?? "", state: { waiting: { reason: "ContainerCreating" } }, restartCount: 0, started: false, ready: false },
      })),
      terminating: false,
      terminate: new AbortController(),
      done: Promise.resolve(),
    };
    run.done = (async () => {
      try {
        run.netns = await opts.network.addPod(podIP);
        opts.log(`${pod.metadata.namespace}/${pod.metadata.name}: namespace ${run.netns} at ${podIP}`);
        await Promise.all(run.containers.map((c) => runContainer(run, c)));
      } catch (err) {
        opts.log(`${pod.metadata.namespace}/${pod.metadata.name}: ${(err as Error).stack ?? String(err)}`);
      }
    })();
    return run;
  };

  const deletePodObject = async (pod: Pod): Promise<void> => {
    const res = await opts.api("DELETE", podPath(pod), { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    if (res.status >= 300 && res.status !== 404 && res.status !== 409) opts.log(`deleting ${pod.metadata.namespace}/${pod.metadata.name}: HTTP ${res.status}`);
  };

  const terminating = new Set<string>();
  const boundAt = new Map<string, number>();
  const reconcile = async (): Promise<void> => {
    const list = (await getJson(`/api/v1/pods?labelSelector=${encodeURIComponent(`${RUNNER_LABEL}=true`)}`)) as { items: Pod[] } | undefined;
    const seen = new Set<string>();
    for (const pod of list?.items ?? []) {
      const uid = pod.metadata.uid;
      seen.add(uid);
      const run = runs.get(uid);
      if (run) run.pod = { ...pod, spec: run.pod.spec }; // the spec a container runs with stays the one it started from
      if (pod.metadata.deletionTimestamp) {
        if (terminating.has(uid)) continue;
        terminating.add(uid);
        const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
        void (async () => {
          if (run) {
            await terminate(run, grace);
            await run.done;
            await finish(run);
            runs.delete(uid);
          }
          await deletePodObject(pod);
          terminating.delete(uid);
        })().catch((err: unknown) => { opts.log(`terminating ${pod.metadata.name}: ${(err as Error).message}`); });
        continue;
      }
      if (run || !pod.spec.nodeName) continue;
      if (!boundAt.has(uid)) boundAt.set(uid, Date.now());
      if (pod.status?.podIP) runs.set(uid, startRun(pod, pod.status.podIP, boundAt.get(uid)!));
    }
    for (const uid of boundAt.keys()) if (!seen.has(uid)) boundAt.delete(uid);
    // Gone without a graceful deletion (force-deleted, namespace wiped): the containers go right away.
    for (const [uid, run] of runs) {
      if (seen.has(uid) || terminating.has(uid)) continue;
      runs.delete(uid);
      void terminate(run, 0).then(() => run.done).then(() => finish(run));
    }
  };

  const loop = (async () => {
    await opts.network.guard();
    while (!stopped) {
      await reconcile().catch((err: unknown) => { opts.log(`reconcile: ${(err as Error).message}`); });
      await sleep(POLL_MS);
    }
  })();

  return {
    stop: async () => {
      stopped = true;
      await loop;
      await Promise.all(
        [...runs.values()].map(async (run) => {
          await terminate(run, SHUTDOWN_GRACE_MS / 1000);
          await run.done;
          await finish(run);
        }),
      );
      runs.clear();
      await opts.network.close();
    },
  };
}
