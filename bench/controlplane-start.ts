/**
 * Warm start and stop times of the test control plane (binaries already built), full stack with Ready nodes and
 * etcd + apiserver only. Prints figures; asserts nothing. Usage: npx node bench/controlplane-start.ts [rounds]
 */
import { performance } from "node:perf_hooks";
import { resolveBinDir, startControlPlane } from "../test/controlplane/index.ts";
import type { Component } from "../test/controlplane/index.ts";

const rounds = Number(process.argv[2] ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

await resolveBinDir(true); // builds first if needed, outside the measurement
for (const [label, components, nodes] of [
  ["all components, 3 nodes", undefined, 3],
  ["etcd + apiserver", ["etcd", "apiserver"], 0],
] as [string, Component[] | undefined, number][]) {
  const starts: number[] = [];
  const stops: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const begin = performance.now();
    const cp = await startControlPlane({ components, nodes, audit: components === undefined });
    starts.push(performance.now() - begin);
    const stopBegin = performance.now();
    await cp.stop();
    stops.push(performance.now() - stopBegin);
  }
  console.log(
    `${label}: start median ${seconds(median(starts))} s (min ${seconds(Math.min(...starts))}, max ${seconds(Math.max(...starts))}), ` +
      `stop median ${seconds(median(stops))} s over ${rounds} rounds`,
  );
}
