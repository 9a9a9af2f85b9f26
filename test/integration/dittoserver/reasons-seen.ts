/**
 * Records every DittoServer condition (type + reason) and DittoServer event reason a test file observes (and those
 * of the kinds bound to a DittoServer, as `<Kind>:Type/Reason`), for the
 * reason-coverage check (test/integration/zz-reason-coverage.test.ts). Conditions come from a watch opened
 * before the file creates anything: every status write reaches a watch, so short-lived (transient) reasons are
 * seen too, which polling would miss. Events are persistent objects: they are listed once when recording stops.
 * Each file appends one JSON line to the run's record (see `reasonRecordPath`).
 */
import { appendFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { KIND } from "../../../src/api/constants.ts";
import { DITTOSERVERS } from "../../../src/dittoserver/kinds.ts";
import type { KubeClient } from "../../../src/runtime/client.ts";
import type { Condition } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import type { ResourceType } from "../../../src/runtime/resources.ts";
import { SERVERBOUND_KINDS } from "../../../src/serverbound/registry.ts";

/** The kinds bound to a DittoServer, recorded as `<Kind>:Type/Reason` (docs/conditions.md, `## <Kind> conditions`). */
const BOUND_KINDS: readonly ResourceType[] = SERVERBOUND_KINDS.map((k) => k.resource);

/** One line of the record. Conditions as `Type/Reason`, events as `Type/Reason` (Normal|Warning). */
export interface ReasonRecord {
  file: string;
  conditions: string[];
  events: string[];
}

/**
 * Where the run's record goes: `DITTOFS_TEST_REASONS_FILE`, else a file in the shared control plane's log dir
 * (one per `node --test` run: the global setup creates a fresh work dir). Undefined outside such a run.
 */
export function reasonRecordPath(): string | undefined {
  if (process.env.DITTOFS_TEST_REASONS_FILE) return process.env.DITTOFS_TEST_REASONS_FILE;
  return process.env.DITTOFS_TEST_LOG_DIR ? join(process.env.DITTOFS_TEST_LOG_DIR, "dittoserver-reasons.jsonl") : undefined;
}

export interface ReasonRecorder {
  /** `Type/Reason` of every condition seen so far, for one server or all of them. */
  conditions(name?: string): Set<string>;
  /** Stop watching, list the namespace's DittoServer events and append the file's record. */
  stop(): Promise<ReasonRecord>;
}

interface WatchEvent {
  type: string;
  object?: { metadata?: { name?: string }; status?: { conditions?: Condition[] } };
}

/**
 * Start recording in `namespace`; resolves once the watch is open (so nothing created afterwards is missed).
 * `preset`: conditions the test itself wrote into a status (e.g. another operator's, from a fixture); they are not
 * the operator's and are not recorded (same type, reason and transition time).
 */
export async function recordReasons(client: KubeClient, namespace: string, preset: readonly Condition[] = []): Promise<ReasonRecorder> {
  const file = basename(process.argv[1] ?? "unknown");
  const seen = new Map<string, Set<string>>();
  const abort = new AbortController();
  const theirs = new Set(preset.map((c) => `${c.type}/${c.reason}/${c.lastTransitionTime}`));
  /** `prefix`: "" for DittoServers, `<Kind>:` for the kinds bound to a DittoServer (their own doc sections). */
  const note = (key: string, prefix: string, conditions: Condition[]): void => {
    let set = seen.get(key);
    if (!set) seen.set(key, (set = new Set()));
    for (const c of conditions) if (!theirs.has(`${c.type}/${c.reason}/${c.lastTransitionTime}`)) set.add(`${prefix}${c.type}/${c.reason}`);
  };

  // Right after the CRD is installed its watch cache may still initialise (429): retry for a while.
  const open = async (res: ResourceType): Promise<AsyncIterable<Uint8Array>> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await client.watch(res, { namespace }, abort.signal);
      } catch (err) {
        if (attempt >= 60 || abort.signal.aborted) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  /** Resolves once the watch is open, with the loop that consumes it (boxed: a returned promise would be awaited). */
  const follow = async (res: ResourceType, prefix: string): Promise<{ done: Promise<void> }> => {
    let body = await open(res);
    const done = (async () => {
      // A watch may end (server timeout); reopen it until stopped. Reopening lists existing objects again (ADDED).
      while (!abort.signal.aborted) {
        let buffer = "";
        try {
          for await (const chunk of body) {
            buffer += Buffer.from(chunk).toString("utf8");
            let nl: number;
            while ((nl = buffer.indexOf("\n")) >= 0) {
              const line = buffer.slice(0, nl).trim();
              buffer = buffer.slice(nl + 1);
              if (!line) continue;
              const event = JSON.parse(line) as WatchEvent;
              const name = event.object?.metadata?.name;
              if (name && event.type !== "ERROR") note(`${prefix}${name}`, prefix, event.object?.status?.conditions ?? []);
            }
          }
        } catch (err) {
          if (abort.signal.aborted) return;
          process.stderr.write(`reason recorder: watch of ${res.plural} in ${namespace} ended: ${String(err)}; reopening\n`);
        }
        if (abort.signal.aborted) return;
        body = await open(res);
      }
    })();
    return { done };
  };
  const consumers = await Promise.all([follow(DITTOSERVERS, ""), ...BOUND_KINDS.map((k) => follow(k, `${k.kind}:`))]);
  const consume = Promise.all(consumers.map((c) => c.done));

  return {
    conditions: (name) => (name ? new Set(seen.get(name) ?? []) : new Set([...seen.values()].flatMap((s) => [...s]))),
    stop: async () => {
      abort.abort();
      await consume.catch(() => undefined);
      const events = await client.list<{ regarding?: { kind?: string }; type: string; reason: string }>(CORE.events, { namespace });
      const record: ReasonRecord = {
        file,
        conditions: [...new Set([...seen.values()].flatMap((s) => [...s]))].sort(),
        events: [...new Set(events.items.flatMap((e) => (e.regarding?.kind === KIND ? [""] : BOUND_KINDS.some((k) => k.kind === e.regarding?.kind) ? [`${e.regarding?.kind}:`] : []).map((prefix) => `${prefix}${e.type}/${e.reason}`)))].sort(),
      };
      const path = reasonRecordPath();
      if (path) await appendFile(path, `${JSON.stringify(record)}\n`);
      return record;
    },
  };
}
