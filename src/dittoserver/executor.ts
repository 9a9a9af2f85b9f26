/**
 * The write plan and its executor. `planPass` / `planDeletion` return an ordered list of writes, each with the
 * answers it tolerates (AlreadyExists on a create another writer won, NotFound on a delete of something already
 * gone); `executeWrites` performs them in order through the cache-aware writer, stops at the first failure (later
 * writes depend on earlier ones), honours the pass's abort signal, and reports what it did for status and events.
 */
import type { JsonPatchOp, ObjectRef } from "../runtime/client.ts";
import { isAlreadyExists, isNotFound } from "../runtime/errors.ts";
import type { KubeObject } from "../runtime/objects.ts";
import type { ResourceType } from "../runtime/resources.ts";
import type { Writer } from "../runtime/writer.ts";

export type Tolerated = "AlreadyExists" | "NotFound";

/** What a write means for events when it really happened (not when a tolerated answer came back). */
export type WriteFact =
  | { created: string }
  | { deleted: string }
  | { expandedVolume: string }
  | { perconaDeleted: string }
  | { replacedStatefulSet: string };

interface WriteBase {
  resource: ResourceType;
  /** What the write does, e.g. `apply ConfigMap fs1-config` (status messages, logs). */
  step: string;
  tolerate?: readonly Tolerated[];
  fact?: WriteFact;
  /** For the debug log: why the write is needed (e.g. the first field of a child that differs). */
  why?: string;
}

export type Write = WriteBase &
  (
    | { op: "apply"; object: KubeObject }
    | { op: "applyStatus"; object: KubeObject }
    | { op: "create"; object: KubeObject }
    | { op: "mergePatch"; ref: ObjectRef; patch: object }
    | { op: "jsonPatch"; ref: ObjectRef; ops: JsonPatchOp[] }
    | { op: "delete"; ref: ObjectRef; preconditions?: { uid: string }; propagationPolicy?: "Orphan" }
  );

export interface WriteResult {
  write: Write;
  /** `tolerated`: the API answered one of the write's tolerated errors (nothing changed). */
  outcome: "written" | "tolerated";
  /** The API's answer (absent for deletes and tolerated errors). */
  object?: KubeObject;
}

/**
 * What an execution did. `failure` is the write that failed (none after it was attempted); an error class
 * (transient or permanent) belongs on it.
 */
export interface WriteReport {
  results: WriteResult[];
  failure?: { write: Write; error: unknown };
}

/** Writes that really happened, as the facts events report. */
export function factsOf(report: WriteReport): WriteFact[] {
  return report.results.flatMap((r) => (r.outcome === "written" && r.write.fact ? [r.write.fact] : []));
}

/** `step: message` of the failure, for the status. */
export function errorsOf(report: WriteReport, message: (err: unknown) => string): { step: string; message: string }[] {
  return report.failure ? [{ step: report.failure.write.step, message: message(report.failure.error) }] : [];
}

function send(writer: Writer, w: Write): Promise<KubeObject | undefined> {
  switch (w.op) {
    case "apply":
      return writer.apply(w.resource, w.object);
    case "applyStatus":
      return writer.applyStatus(w.resource, w.object);
    case "create":
      return writer.create(w.resource, w.object);
    case "mergePatch":
      return writer.mergePatch(w.resource, w.ref, w.patch);
    case "jsonPatch":
      return writer.jsonPatch(w.resource, w.ref, w.ops);
    case "delete":
      return writer
        .delete(w.resource, w.ref, { ...(w.preconditions ? { preconditions: w.preconditions } : {}), ...(w.propagationPolicy ? { propagationPolicy: w.propagationPolicy } : {}) })
        .then(() => undefined);
  }
}

function tolerated(w: Write, err: unknown): boolean {
  const tolerate = w.tolerate ?? [];
  return (tolerate.includes("AlreadyExists") && isAlreadyExists(err)) || (tolerate.includes("NotFound") && isNotFound(err));
}

/** Perform `writes` in order; stop at the first failure or when `signal` aborts (the pass timed out). */
export async function executeWrites(writer: Writer, writes: readonly Write[], signal?: AbortSignal): Promise<WriteReport> {
  const report: WriteReport = { results: [] };
  for (const write of writes) {
    if (signal?.aborted) {
      report.failure = { write, error: signal.reason ?? new Error("the reconcile pass was aborted") };
      return report;
    }
    try {
      const object = await send(writer, write);
      report.results.push({ write, outcome: "written", ...(object ? { object } : {}) });
    } catch (error) {
      if (!tolerated(write, error)) {
        report.failure = { write, error };
        return report;
      }
      report.results.push({ write, outcome: "tolerated" });
    }
  }
  return report;
}
