/**
 * Work queue throughput: keys per second through add → get → done with 1, 4 and 16 workers, with many duplicate
 * adds, and through the delayed (addAfter) path. Prints figures only; nothing here asserts on time.
 *
 *   npm run bench:queue [-- --keys 200000]
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { WorkQueue, defaultControllerRateLimiter } from "../src/runtime/queue.ts";

const { values } = parseArgs({ options: { keys: { type: "string", default: "200000" } } });
const KEYS = Number(values.keys);
if (!Number.isInteger(KEYS) || KEYS <= 0) throw new Error(`--keys must be a positive integer, got ${values.keys}`);

const BATCH = 1000;
const yieldToWorkers = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Result {
  scenario: string;
  workers: number;
  adds: number;
  processed: number;
  ms: number;
}

/**
 * Producer adds `adds` keys drawn from `distinct` names in batches, yielding between batches so workers run;
 * each worker takes a key, crosses one async boundary (as a reconcile would) and marks it done.
 */
async function run(scenario: string, workers: number, adds: number, distinct: number, delayMs = 0): Promise<Result> {
  const queue = new WorkQueue({ name: "bench", rateLimiter: defaultControllerRateLimiter() });
  let processed = 0;
  const worker = async (): Promise<void> => {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      await Promise.resolve();
      queue.done(key);
      processed++;
    }
  };
  const started = performance.now();
  const pool = Array.from({ length: workers }, worker);
  for (let i = 0; i < adds; i += BATCH) {
    for (let j = i; j < Math.min(adds, i + BATCH); j++) {
      const key = `ns/obj-${j % distinct}`;
      if (delayMs > 0) queue.addAfter(key, (j % delayMs) + 1);
      else queue.add(key);
    }
    await yieldToWorkers();
  }
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs + 5));
  while (queue.len() > 0) await yieldToWorkers();
  await queue.shutDownWithDrain();
  await Promise.all(pool);
  return { scenario, workers, adds, processed, ms: performance.now() - started };
}

const results: Result[] = [];
// Warm-up so JIT compilation does not land in the first figure.
await run("warm-up", 4, 20_000, 20_000);
for (const workers of [1, 4, 16]) results.push(await run("unique keys", workers, KEYS, KEYS));
for (const workers of [1, 4, 16]) results.push(await run("duplicates (100 keys)", workers, KEYS, 100));
results.push(await run("addAfter 1-10 ms", 4, KEYS / 4, KEYS / 4, 10));

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
console.log(`work queue throughput (Node ${process.version}, ${fmt(KEYS)} adds per run)\n`);
console.log("scenario                   workers        adds   processed      ms      adds/s  processed/s");
for (const r of results) {
  console.log(
    [
      r.scenario.padEnd(24),
      String(r.workers).padStart(9),
      fmt(r.adds).padStart(11),
      fmt(r.processed).padStart(11),
      fmt(r.ms).padStart(7),
      fmt((r.adds / r.ms) * 1000).padStart(11),
      fmt((r.processed / r.ms) * 1000).padStart(12),
    ].join(" "),
  );
}
