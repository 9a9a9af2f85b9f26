/**
 * Watch → reconcile latency and cache memory against a private local apiserver (etcd + kube-apiserver).
 *
 * 1. Latency: a controller over ConfigMaps; each sample patches one ConfigMap and waits for the reconcile of that
 *    key. Reported: write sent → reconcile start (end to end, includes the apiserver), and informer delivery →
 *    reconcile start (the runtime's own share: store, handlers, queue, worker).
 * 2. Memory: a separate process caches N ConfigMaps (default 10 000, created with server-side apply, so each has
 *    managedFields) with and without managedFields stripping; reported: RSS and heap after sync and a GC.
 *
 * Prints figures only; asserts nothing.   npm run bench:watch [-- --samples 500 --objects 10000]
 */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Registry } from "prom-client";
import { startControlPlane } from "../test/controlplane/index.ts";
import { KubeClient, loadKubeConfig } from "../src/runtime/client.ts";
import { controller } from "../src/runtime/controller.ts";
import { createLogger } from "../src/runtime/log.ts";
import { Manager } from "../src/runtime/manager.ts";
import { createRuntimeMetrics } from "../src/runtime/metrics.ts";
import type { KubeObject } from "../src/runtime/objects.ts";
import { CORE } from "../src/runtime/resources.ts";
import { Informer } from "../src/runtime/informer.ts";
import { stripManagedFields } from "../src/runtime/watcher.ts";

const { values } = parseArgs({
  options: {
    samples: { type: "string", default: "500" },
    objects: { type: "string", default: "10000" },
    // Child mode (memory measurement in a clean process).
    child: { type: "boolean", default: false },
    kubeconfig: { type: "string" },
    strip: { type: "string", default: "true" },
  },
});

function positive(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${text}`);
  return n;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function summary(label: string, ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const f = (x: number): string => x.toFixed(2).padStart(8);
  return `${label.padEnd(36)} p50 ${f(percentile(s, 50))} ms   p99 ${f(percentile(s, 99))} ms   max ${f(s.at(-1)!)} ms`;
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

/** Child: cache every ConfigMap of namespace "bench-mem", then report memory as one JSON line. */
async function childMemory(kubeconfig: string, strip: boolean): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const client = new KubeClient(loadKubeConfig(kubeconfig), { fieldManager: "bench" });
  gc?.();
  const baseline = process.memoryUsage();
  const informer = new Informer({
    resource: CORE.configMaps,
    selector: { namespace: "bench-mem" },
    client,
    transform: strip ? stripManagedFields : undefined,
  });
  const begin = performance.now();
  informer.start();
  await informer.waitForSync();
  const syncMs = performance.now() - begin;
  for (let i = 0; i < 3; i++) gc?.();
  const after = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({ objects: informer.store.size(), syncMs, baseline: baseline.rss, rss: after.rss, heap: after.heapUsed, baselineHeap: baseline.heapUsed })}\n`,
  );
  await informer.stop();
  await client.close();
}

async function measureMemory(kubeconfig: string, strip: boolean): Promise<Record<string, number>> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ["--expose-gc", self, "--child", `--kubeconfig=${kubeconfig}`, `--strip=${strip}`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`memory child exited with ${code}`);
  return JSON.parse(out.trim()) as Record<string, number>;
}

async function createMany(client: KubeClient, namespace: string, count: number): Promise<number> {
  const begin = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const cm: KubeObject = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `cm-${i}`, namespace, labels: { app: "bench", shard: String(i % 16) } },
        data: { "config.yaml": `replicas: ${i % 5}\nname: cm-${i}\n`, owner: "bench", index: String(i) },
      };
      await client.apply(CORE.configMaps, cm);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return performance.now() - begin;
}

async function main(): Promise<void> {
  const samples = positive("samples", values.samples);
  const objects = positive("objects", values.objects);
  const cp = await startControlPlane({ components: ["etcd", "apiserver"] });
  const metrics = createRuntimeMetrics(new Registry());
  const client = new KubeClient(loadKubeConfig(cp.kubeconfigPath), {
    fieldManager: "bench",
    requestCounter: metrics.requestCounter,
  });
  try {
    for (const name of ["bench-latency", "bench-mem"]) {
      await client.create(CORE.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    }

    // ---- latency ----
    const reconcileStart = new Map<string, (t: number) => void>();
    const delivered = new Map<string, number>();
    const manager = new Manager({
      fieldManager: "bench",
      kubeconfigPath: cp.kubeconfigPath,
      logger: createLogger({ level: "silent" }),
      namespace: "bench-latency",
      healthProbeBindAddress: "0",
      metricsBindAddress: "0",
    });
    manager.add(
      controller("bench")
        .for(CORE.configMaps)
        .reconcile((req) => {
          reconcileStart.get(req.key)?.(performance.now());
        }),
    );
    manager.cache.informerFor(CORE.configMaps).addEventHandler({
      update: (_old, obj) => delivered.set(obj.metadata.name!, performance.now()),
    });
    await manager.start();
    const keys = Array.from({ length: 20 }, (_, i) => `lat-${i}`);
    for (const name of keys) {
      await client.create(CORE.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "bench-latency" } });
    }
    await new Promise((r) => setTimeout(r, 500));
    const endToEnd: number[] = [];
    const runtimeShare: number[] = [];
    for (let i = 0; i < samples; i++) {
      const name = keys[i % keys.length]!;
      const key = `bench-latency/${name}`;
      const started = new Promise<number>((resolve) => reconcileStart.set(key, resolve));
      const sent = performance.now();
      await client.mergePatch(CORE.configMaps, { namespace: "bench-latency", name }, { data: { i: String(i) } });
      const at = await started;
      reconcileStart.delete(key);
      endToEnd.push(at - sent);
      runtimeShare.push(at - (delivered.get(name) ?? at));
    }
    await manager.stop();
    console.log(`\nwatch event → reconcile start, ${samples} sequential updates (etcd + kube-apiserver on 127.0.0.1)`);
    console.log(summary("write sent → reconcile start", endToEnd));
    console.log(summary("informer delivery → reconcile start", runtimeShare));

    // ---- memory ----
    const createMs = await createMany(client, "bench-mem", objects);
    console.log(`\ncreated ${objects} ConfigMaps with server-side apply in ${(createMs / 1000).toFixed(1)} s`);
    console.log("cache memory (separate process, after sync and GC)");
    for (const strip of [false, true]) {
      const m = await measureMemory(cp.kubeconfigPath, strip);
      console.log(
        `  managedFields ${strip ? "stripped" : "kept    "}: ${m.objects} objects, sync ${((m.syncMs ?? 0) / 1000).toFixed(2)} s, ` +
          `RSS ${mb(m.rss!)} MiB (baseline ${mb(m.baseline!)} MiB), heap ${mb(m.heap!)} MiB (baseline ${mb(m.baselineHeap!)} MiB)`,
      );
    }
    const requests = (await metrics.registry.getSingleMetric("rest_client_requests_total")?.get())?.values ?? [];
    const byMethod = new Map<string, number>();
    for (const v of requests) byMethod.set(String(v.labels.method), (byMethod.get(String(v.labels.method)) ?? 0) + v.value);
    console.log(`\nbench client requests by method: ${[...byMethod].map(([m, n]) => `${m} ${n}`).join(", ")}`);
  } finally {
    await client.close();
    await cp.stop();
  }
}

if (values.child) await childMemory(values.kubeconfig ?? "", values.strip === "true");
else await main();
