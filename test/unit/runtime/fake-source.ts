/**
 * A scripted list/watch source for driving the watcher state machine in unit tests: lists answer from a script,
 * every watch call returns a stream the test feeds by hand. Abort makes the stream throw a generic AbortError (not the
 * abort's reason, as the real transport does): the harder case for the watcher.
 */
import type { KubeList } from "../../../src/runtime/client.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import type { ListWatchSource } from "../../../src/runtime/watcher.ts";

export interface ListCall {
  limit: number;
  continue?: string | undefined;
  resourceVersion?: string | undefined;
}

export interface WatchCall {
  resourceVersion: string;
  timeoutSeconds: number;
  allowWatchBookmarks: boolean;
  signal: AbortSignal;
  stream: FakeStream;
}

/** A push-driven byte stream. */
export class FakeStream implements AsyncIterable<string> {
  private readonly chunks: string[] = [];
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly signal: AbortSignal;

  constructor(signal: AbortSignal) {
    this.signal = signal;
    signal.addEventListener("abort", () => this.wake?.(), { once: true });
  }

  push(chunk: string): void {
    this.chunks.push(chunk);
    this.wake?.();
  }

  /** Push `{type, object}` frames, one per line. */
  frames(...frames: { type: string; object: unknown }[]): void {
    this.push(frames.map((f) => JSON.stringify(f) + "\n").join(""));
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  fail(err: Error): void {
    this.failure = err;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      if (this.signal.aborted) throw Object.assign(new Error("aborted"), { name: "AbortError" });
      const next = this.chunks.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

export type ListAnswer = KubeList | Error;
export type WatchAnswer = Error | undefined;

export class FakeSource implements ListWatchSource {
  readonly listCalls: ListCall[] = [];
  readonly watchCalls: WatchCall[] = [];
  /** Answers for the next list calls, in order; when empty, an empty list at resourceVersion "1". */
  readonly listScript: ListAnswer[] = [];
  /** Errors for the next watch calls (undefined = open a stream). */
  readonly watchScript: WatchAnswer[] = [];
  private waiters: (() => void)[] = [];

  list(opts: ListCall, _signal: AbortSignal): Promise<KubeList> {
    this.listCalls.push({ ...opts });
    this.notify();
    const answer = this.listScript.shift() ?? list("1", []);
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }

  watch(
    opts: { resourceVersion: string; timeoutSeconds: number; allowWatchBookmarks: boolean },
    signal: AbortSignal,
  ): Promise<AsyncIterable<string>> {
    const stream = new FakeStream(signal);
    this.watchCalls.push({ ...opts, signal, stream });
    this.notify();
    const failure = this.watchScript.shift();
    return failure ? Promise.reject(failure) : Promise.resolve(stream);
  }

  /** The stream of the latest watch call. */
  lastStream(): FakeStream {
    const call = this.watchCalls.at(-1);
    if (!call) throw new Error("no watch call yet");
    return call.stream;
  }

  /** Resolves once the total number of list+watch calls reaches `n`. */
  async untilCalls(n: number): Promise<void> {
    while (this.listCalls.length + this.watchCalls.length < n) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

export function cm(name: string, rv: string, data: Record<string, string> = {}): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ns", resourceVersion: rv }, data };
}

export function list(rv: string, items: KubeObject[], cont?: string): KubeList {
  return { apiVersion: "v1", kind: "ConfigMapList", metadata: { resourceVersion: rv, continue: cont }, items };
}

/** Let pending promise continuations run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
