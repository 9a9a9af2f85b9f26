/**
 * The API transport: plain JSON in and out over one keep-alive node:http(s) agent per cluster (http.ts).
 *
 * Where the server is and how to authenticate comes from kubeconfig.ts, our own kubeconfig / in-cluster loader:
 * importing @kubernetes/client-node for its KubeConfig costs ~84 MiB of RSS (its whole generated API loads with it),
 * and its generated APIs deserialise into typed models (dropping unknown fields, turning timestamps into Date).
 */
import type { Agent } from "node:http";
import { apiErrorFromResponse, isNotFound } from "./errors.ts";
import { createAgent, header, readText, send } from "./http.ts";
import type { IncomingMessage } from "./http.ts";
import type { RestConfig } from "./kubeconfig.ts";
import type { KubeObject, ObjectMeta } from "./objects.ts";
import { groupVersionPath, resourcePath, withQuery } from "./resources.ts";
import type { ResourceType } from "./resources.ts";
import type { WriteFence } from "./write-fence.ts";

/** What the client needs of `rest_client_requests_total` (a prom-client Counter fits). */
export interface RequestCounter {
  inc(labels: { code: string; method: string; host: string }): void;
}

export interface KubeClientOptions {
  /** Server-side-apply field manager: one stable name per controller, never shared. */
  fieldManager: string;
  requestCounter?: RequestCounter;
  /** Deadline of a non-watch request (default 30 s). */
  requestTimeoutMs?: number;
  userAgent?: string;
  /** Asked before every mutating request (leader election: only the current leader writes). */
  writeFence?: WriteFence;
}

/** Anything with the envelope of a Kubernetes object (typed kinds without an index signature fit too). */
export interface ObjectLike {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export interface ObjectRef {
  namespace?: string | undefined;
  name: string;
}

export interface ListOptions {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  limit?: number | undefined;
  continue?: string | undefined;
  /** "" = consistent read from etcd, "0" = any (served from the watch cache). */
  resourceVersion?: string | undefined;
}

export interface KubeList<T = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export interface WatchOptions {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  resourceVersion?: string | undefined;
  timeoutSeconds?: number | undefined;
  allowWatchBookmarks?: boolean | undefined;
}

export interface DeleteOptions {
  propagationPolicy?: "Foreground" | "Background" | "Orphan";
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface JsonPatchOp {
  op: "add" | "remove" | "replace" | "test" | "move" | "copy";
  path: string;
  value?: unknown;
  from?: string;
}

interface RequestSpec {
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
}

export const CONTENT_TYPE = {
  json: "application/json",
  apply: "application/apply-patch+yaml",
  mergePatch: "application/merge-patch+json",
  jsonPatch: "application/json-patch+json",
} as const;

export { loadKubeConfig } from "./kubeconfig.ts";

export class KubeClient {
  readonly config: RestConfig;
  readonly fieldManager: string;
  /** `host:port` of the API server, the `host` label of rest_client_requests_total. */
  readonly host: string;
  private readonly server: string;
  private readonly counter: RequestCounter | undefined;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly fence: WriteFence | undefined;
  private agent: Agent | undefined;

  constructor(config: RestConfig, opts: KubeClientOptions) {
    if (!opts.fieldManager) throw new Error("a field manager is required for server-side apply");
    this.config = config;
    this.server = config.server.replace(/\/+$/, "");
    this.host = new URL(this.server).host;
    this.fieldManager = opts.fieldManager;
    this.counter = opts.requestCounter;
    this.timeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.userAgent = opts.userAgent ?? "ts-controller-runtime";
    this.fence = opts.writeFence;
  }

  /** Close the HTTP agent and its sockets (open watches are aborted by their owners first). */
  close(): Promise<void> {
    this.agent?.destroy();
    this.agent = undefined;
    return Promise.resolve();
  }

  // ---- generic resource access --------------------------------------------------------------------------------

  get<T = KubeObject>(res: ResourceType, ref: ObjectRef, signal?: AbortSignal): Promise<T> {
    return this.requestJson<T>("GET", resourcePath(res, ref.namespace, ref.name), { signal });
  }

  /** `get` that answers undefined for 404 instead of throwing. */
  async getOrUndefined<T = KubeObject>(res: ResourceType, ref: ObjectRef, signal?: AbortSignal): Promise<T | undefined> {
    try {
      return await this.get<T>(res, ref, signal);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  list<T = KubeObject>(res: ResourceType, opts: ListOptions = {}, signal?: AbortSignal): Promise<KubeList<T>> {
    const path = withQuery(resourcePath(res, opts.namespace), {
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      limit: opts.limit,
      continue: opts.continue,
      resourceVersion: opts.resourceVersion,
    });
    return this.requestJson<KubeList<T>>("GET", path, { signal });
  }

  /** Every page of a list (limit 500 per page). */
  async listAll<T = KubeObject>(res: ResourceType, opts: ListOptions = {}): Promise<KubeList<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let page: KubeList<T>;
    do {
      page = await this.list<T>(res, { ...opts, limit: opts.limit ?? 500, continue: cont });
      items.push(...page.items);
      cont = page.metadata.continue || undefined;
    } while (cont);
    return { ...page, metadata: { resourceVersion: page.metadata.resourceVersion ?? "" }, items };
  }

  create<T = KubeObject>(res: ResourceType, obj: ObjectLike, signal?: AbortSignal): Promise<T> {
    const path = withQuery(resourcePath(res, obj.metadata.namespace), { fieldManager: this.fieldManager });
    return this.requestJson<T>("POST", path, { body: obj, signal });
  }

  /** PUT the whole object; `metadata.resourceVersion` makes it an optimistic-concurrency update (409 on conflict). */
  replace<T = KubeObject>(
    res: ResourceType,
    obj: ObjectLike,
    opts: { subresource?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    const path = withQuery(resourcePath(res, obj.metadata.namespace, requireName(obj), opts.subresource), {
      fieldManager: this.fieldManager,
    });
    return this.requestJson<T>("PUT", path, { body: obj, signal: opts.signal });
  }

  /** DELETE; returns the object (still present with finalizers, or as deleted) or a Status. */
  delete(res: ResourceType, ref: ObjectRef, opts: DeleteOptions = {}): Promise<unknown> {
    const body = { apiVersion: "v1", kind: "DeleteOptions", ...opts };
    return this.requestJson("DELETE", resourcePath(res, ref.namespace, ref.name), { body });
  }

  /**
   * Server-side apply: `obj` carries apiVersion, kind, metadata.name/namespace and only the fields we own.
   * `force` (default true) takes ownership of fields other managers set.
   */
  apply<T = KubeObject>(
    res: ResourceType,
    obj: ObjectLike,
    opts: { force?: boolean; subresource?: string } = {},
  ): Promise<T> {
    const path = withQuery(resourcePath(res, obj.metadata.namespace, requireName(obj), opts.subresource), {
      fieldManager: this.fieldManager,
      force: opts.force ?? true,
    });
    return this.requestJson<T>("PATCH", path, { body: obj, contentType: CONTENT_TYPE.apply });
  }

  /** Server-side apply to the status subresource: `{apiVersion, kind, metadata{name,namespace}, status}`. */
  applyStatus<T = KubeObject>(res: ResourceType, obj: ObjectLike): Promise<T> {
    return this.apply<T>(res, obj, { subresource: "status" });
  }

  /** RFC 7386 merge patch (arrays are replaced wholesale). */
  mergePatch<T = KubeObject>(
    res: ResourceType,
    ref: ObjectRef,
    patch: object,
    subresource?: string,
  ): Promise<T> {
    const path = withQuery(resourcePath(res, ref.namespace, ref.name, subresource), { fieldManager: this.fieldManager });
    return this.requestJson<T>("PATCH", path, { body: patch, contentType: CONTENT_TYPE.mergePatch });
  }

  patchStatus<T = KubeObject>(res: ResourceType, ref: ObjectRef, patch: object): Promise<T> {
    return this.mergePatch<T>(res, ref, patch, "status");
  }

  /** RFC 6902 JSON patch; a failing `test` op rejects the whole patch (422). */
  jsonPatch<T = KubeObject>(
    res: ResourceType,
    ref: ObjectRef,
    ops: JsonPatchOp[],
    subresource?: string,
  ): Promise<T> {
    const path = withQuery(resourcePath(res, ref.namespace, ref.name, subresource), { fieldManager: this.fieldManager });
    return this.requestJson<T>("PATCH", path, { body: ops, contentType: CONTENT_TYPE.jsonPatch });
  }

  // ---- discovery ----------------------------------------------------------------------------------------------

  /** Does the API server serve `plural` in `group/version`? (404 on the group version → false.) */
  async resourceExists(res: Pick<ResourceType, "group" | "version" | "plural">): Promise<boolean> {
    try {
      const list = await this.requestJson<{ resources?: { name: string }[] }>("GET", groupVersionPath(res));
      return (list.resources ?? []).some((r) => r.name === res.plural);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  // ---- watch --------------------------------------------------------------------------------------------------

  /**
   * Open a watch and return its body as a byte stream. Non-200 answers throw ApiError (410 included).
   * The caller owns the request: abort `signal` to close it. No total deadline: the watcher runs its own idle timer.
   */
  async watch(res: ResourceType, opts: WatchOptions, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const path = withQuery(resourcePath(res, opts.namespace), {
      watch: 1,
      resourceVersion: opts.resourceVersion,
      allowWatchBookmarks: opts.allowWatchBookmarks,
      timeoutSeconds: opts.timeoutSeconds,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
    });
    const response = await this.send("GET", path, { signal }, true);
    if (response.statusCode !== 200) throw await this.failure(response);
    return response;
  }

  // ---- raw requests -------------------------------------------------------------------------------------------

  /** Any request with a JSON (or apply-patch) body and a JSON answer; failures throw ApiError. */
  async requestJson<T = unknown>(method: string, path: string, spec: RequestSpec = {}): Promise<T> {
    const timeout = AbortSignal.timeout(spec.timeoutMs ?? this.timeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    const response = await this.send(method, path, { ...spec, signal }, false);
    const code = response.statusCode ?? 0;
    if (code < 200 || code >= 300) throw await this.failure(response);
    const text = await readText(response);
    return (text ? JSON.parse(text) : {}) as T;
  }

  private async send(method: string, path: string, spec: RequestSpec, streaming: boolean): Promise<IncomingMessage> {
    const headers: Record<string, string> = {
      // Per request: token files and exec plugins rotate credentials (the config caches them itself).
      ...(await this.config.authHeaders()),
      accept: CONTENT_TYPE.json,
      "user-agent": this.userAgent,
    };
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers["content-type"] = spec.contentType ?? CONTENT_TYPE.json;
    }
    // Asked as the request leaves (after the awaits above); a write still in flight when the term ends is aborted.
    const term = method === "GET" ? undefined : this.fence?.admit();
    const signal = term && spec.signal ? AbortSignal.any([spec.signal, term]) : (term ?? spec.signal);
    // One agent per cluster: TLS material is read once, sockets are reused.
    this.agent ??= createAgent(new URL(this.server), this.config.tls, this.config.proxyUrl);
    try {
      const response = await send(this.agent, new URL(this.server + path), {
        method,
        headers,
        body,
        signal,
        // A watch body may be silent for minutes: the watcher's idle timer, not the transport, decides when a stream
        // is dead; only the headers have a limit. Other requests run under requestJson's total deadline.
        headersTimeoutMs: streaming ? 60_000 : undefined,
      });
      this.count(String(response.statusCode), method);
      return response;
    } catch (err) {
      this.count("<error>", method);
      throw err;
    }
  }

  private async failure(response: IncomingMessage): Promise<Error> {
    const text = await readText(response).catch(() => "");
    return apiErrorFromResponse(response.statusCode ?? 0, text, header(response, "retry-after"));
  }

  private count(code: string, method: string): void {
    this.counter?.inc({ code, method, host: this.host });
  }
}

function requireName(obj: ObjectLike): string {
  const name = obj.metadata.name;
  if (!name) throw new Error(`${obj.kind} object has no metadata.name`);
  return name;
}
