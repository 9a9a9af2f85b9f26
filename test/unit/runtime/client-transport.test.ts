/**
 * The KubeClient transport (client.ts over http.ts) against local loopback servers: what goes on the wire, how
 * answers and failures come back, keep-alive, aborts, and proxy tunnelling. No API server; the TLS material comes
 * from the control plane's openssl PKI helper.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import https from "node:https";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { TLSSocket } from "node:tls";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { KubeClient } from "../../../src/runtime/client.ts";
import { ApiError } from "../../../src/runtime/errors.ts";
import { createAgent, send } from "../../../src/runtime/http.ts";
import type { RestConfig, TlsOptions } from "../../../src/runtime/kubeconfig.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { NotLeaderError } from "../../../src/runtime/write-fence.ts";
import type { WriteFence } from "../../../src/runtime/write-fence.ts";
import { createPki, signClientCertificate } from "../../controlplane/pki.ts";

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Client port of the connection the request came on (equal for requests on one kept-alive socket). */
  remotePort: number | undefined;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

const servers: net.Server[] = [];

/** Start `server` on a loopback port; closed (connections included) after the file. */
async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

/** A request handler that records every request and answers with `handler`. */
function recording(seen: Seen[], handler: Handler): http.RequestListener {
  return (req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body, remotePort: req.socket.remotePort });
      handler(req, res, body);
    });
  };
}

const json = (status: number, value: unknown, headers: http.OutgoingHttpHeaders = {}): Handler => (_req, res) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(value === undefined ? "" : JSON.stringify(value));
};

interface Counted {
  code: string;
  method: string;
  host: string;
}

function client(server: string, opts: { tls?: TlsOptions; proxyUrl?: string; counted?: Counted[]; writeFence?: WriteFence } = {}): KubeClient {
  const config: RestConfig = {
    server,
    tls: opts.tls ?? { rejectUnauthorized: true },
    proxyUrl: opts.proxyUrl,
    authHeaders: () => Promise.resolve({ authorization: "Bearer t0ken" }),
  };
  const counted = opts.counted;
  return new KubeClient(config, {
    fieldManager: "transport-test",
    userAgent: "transport-test/1",
    requestCounter: counted ? { inc: (labels) => counted.push(labels) } : undefined,
    writeFence: opts.writeFence,
  });
}

let pkiDir: string;
let tls: { ca: Buffer; serverCert: Buffer; serverKey: Buffer; clientCert: Buffer; clientKey: Buffer };

before(async () => {
  pkiDir = mkdtempSync(join(tmpdir(), "transport-test-"));
  const pki = await createPki(pkiDir, ["IP:127.0.0.1"]);
  const user = await signClientCertificate({ caCertPath: pki.caCertPath, caKeyPath: pki.caKeyPath, dir: pkiDir, commonName: "u" });
  tls = {
    ca: readFileSync(pki.caCertPath),
    serverCert: readFileSync(pki.apiserverCertPath),
    serverKey: readFileSync(pki.apiserverKeyPath),
    clientCert: readFileSync(user.certPath),
    clientKey: readFileSync(user.keyPath),
  };
});

after(() => {
  for (const s of servers) {
    if (s instanceof http.Server || s instanceof https.Server) s.closeAllConnections();
    s.close();
  }
  rmSync(pkiDir, { recursive: true, force: true });
});

describe("KubeClient transport over plain http", () => {
  it("sends JSON with the per-request headers and parses the answer; counts code, method and host", async () => {
    const seen: Seen[] = [];
    const port = await listen(http.createServer(recording(seen, json(201, { kind: "ConfigMap", data: { a: "ü" } }))));
    const counted: Counted[] = [];
    const c = client(`http://127.0.0.1:${port}/`, { counted });
    try {
      const obj = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "ns" } };
      const answer = await c.create(CORE.configMaps, obj);
      assert.deepEqual(answer, { kind: "ConfigMap", data: { a: "ü" } });
      const req = seen[0]!;
      assert.equal(req.method, "POST");
      assert.equal(req.url, "/api/v1/namespaces/ns/configmaps?fieldManager=transport-test");
      assert.deepEqual(JSON.parse(req.body), obj);
      assert.equal(req.headers["content-type"], "application/json");
      assert.equal(req.headers["content-length"], String(Buffer.byteLength(req.body)));
      assert.equal(req.headers.accept, "application/json");
      assert.equal(req.headers["user-agent"], "transport-test/1");
      assert.equal(req.headers.authorization, "Bearer t0ken");
      assert.deepEqual(counted, [{ code: "201", method: "POST", host: `127.0.0.1:${port}` }]);
    } finally {
      await c.close();
    }
  });

  it("frames a DELETE body (DeleteOptions) so the server reads it", async () => {
    const seen: Seen[] = [];
    const port = await listen(http.createServer(recording(seen, json(200, { kind: "Status" }))));
    const c = client(`http://127.0.0.1:${port}`);
    try {
      await c.delete(CORE.configMaps, { namespace: "ns", name: "x" }, { propagationPolicy: "Foreground" });
      await c.delete(CORE.configMaps, { namespace: "ns", name: "y" });
      assert.deepEqual(
        seen.map((s) => [s.method, s.url, JSON.parse(s.body) as unknown]),
        [
          ["DELETE", "/api/v1/namespaces/ns/configmaps/x", { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Foreground" }],
          ["DELETE", "/api/v1/namespaces/ns/configmaps/y", { apiVersion: "v1", kind: "DeleteOptions" }],
        ],
      );
    } finally {
      await c.close();
    }
  });

  it("answers {} for an empty 2xx body and sends no content-type without a body", async () => {
    const seen: Seen[] = [];
    const port = await listen(http.createServer(recording(seen, json(200, undefined))));
    const c = client(`http://127.0.0.1:${port}`);
    try {
      assert.deepEqual(await c.requestJson("GET", "/healthz"), {});
      assert.equal(seen[0]?.headers["content-type"], undefined);
    } finally {
      await c.close();
    }
  });

  it("turns a failure into ApiError with Retry-After, counted under its code", async () => {
    const status = { kind: "Status", code: 429, reason: "TooManyRequests", message: "slow down" };
    const port = await listen(http.createServer(recording([], json(429, status, { "retry-after": "7" }))));
    const counted: Counted[] = [];
    const c = client(`http://127.0.0.1:${port}`, { counted });
    try {
      const err = await c.requestJson("GET", "/api/v1/pods").then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 429);
      assert.equal(err.reason, "TooManyRequests");
      assert.equal(err.retryAfterSeconds, 7);
      assert.deepEqual(counted.map((l) => l.code), ["429"]);
    } finally {
      await c.close();
    }
  });

  it("reuses one kept-alive connection and closes it on close()", async () => {
    const server = http.createServer(recording([], json(200, {})));
    const sockets: net.Socket[] = [];
    server.on("connection", (socket: net.Socket) => sockets.push(socket));
    const port = await listen(server);
    const c = client(`http://127.0.0.1:${port}`);
    for (let i = 0; i < 3; i++) await c.requestJson("GET", "/version");
    assert.equal(sockets.length, 1);
    const closed = once(sockets[0]!, "close");
    await c.close();
    await closed;
  });

  it("fails a refused connection with an ordinary Error, counted as <error>", async () => {
    const probe = net.createServer();
    const port = await listen(probe);
    probe.close(); // the port is now free: nothing listens
    await once(probe, "close");
    const counted: Counted[] = [];
    const c = client(`http://127.0.0.1:${port}`, { counted });
    try {
      await assert.rejects(c.requestJson("GET", "/version"), (err: Error) => !(err instanceof ApiError) && /ECONNREFUSED/.test(err.message));
      assert.deepEqual(counted, [{ code: "<error>", method: "GET", host: `127.0.0.1:${port}` }]);
    } finally {
      await c.close();
    }
  });
});

/** Resolves with what `run` rejects with (fails if it resolves). */
async function rejection(run: Promise<unknown>): Promise<unknown> {
  return run.then(() => assert.fail("expected a rejection"), (err: unknown) => err);
}

describe("KubeClient write fence", () => {
  it("sends no mutating request the fence refuses, lets reads through, and aborts a write in flight when the term ends", async () => {
    const seen: Seen[] = [];
    const port = await listen(http.createServer(recording(seen, (req, res, body) => {
      if (req.url?.includes("/slow")) return; // never answered: the term's end must abort it
      json(200, { kind: "ConfigMap", body })(req, res, body);
    })));
    let term: AbortController | undefined;
    const fence: WriteFence = {
      admit: () => {
        if (!term || term.signal.aborted) throw new NotLeaderError("not the leader");
        return term.signal;
      },
    };
    const c = client(`http://127.0.0.1:${port}`, { writeFence: fence });
    try {
      const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "ns" } };
      await assert.rejects(c.create(CORE.configMaps, cm), NotLeaderError);
      await assert.rejects(c.apply(CORE.configMaps, cm), NotLeaderError);
      await assert.rejects(c.delete(CORE.configMaps, { namespace: "ns", name: "x" }), NotLeaderError);
      await c.get(CORE.configMaps, { namespace: "ns", name: "x" });
      assert.deepEqual(seen.map((r) => r.method), ["GET"], "refused writes never reach the server");

      term = new AbortController();
      await c.create(CORE.configMaps, cm);
      const inFlight = rejection(c.requestJson("PUT", "/slow", { body: cm }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      term.abort(new Error("term ended"));
      assert.equal(((await inFlight) as Error).message, "term ended");
      assert.deepEqual(seen.map((r) => r.method), ["GET", "POST", "PUT"]);
    } finally {
      await c.close();
    }
  });
});

describe("KubeClient transport: deadlines, aborts and watches", () => {
  it("rejects with the deadline's TimeoutError when no answer comes, and with the caller's reason on abort", async () => {
    const port = await listen(http.createServer(recording([], () => undefined)));
    const counted: Counted[] = [];
    const c = client(`http://127.0.0.1:${port}`, { counted });
    try {
      const timedOut = await rejection(c.requestJson("GET", "/never", { timeoutMs: 20 }));
      assert.equal((timedOut as Error).name, "TimeoutError");
      const ctrl = new AbortController();
      const pending = rejection(c.requestJson("GET", "/never", { signal: ctrl.signal }));
      const reason = new Error("caller gave up");
      ctrl.abort(reason);
      assert.equal(await pending, reason);
      assert.deepEqual(counted.map((l) => l.code), ["<error>", "<error>"]);
    } finally {
      await c.close();
    }
  });

  it("applies the deadline to the body too", async () => {
    const port = await listen(http.createServer(recording([], (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"items": ['); // and never more
    })));
    const c = client(`http://127.0.0.1:${port}`);
    try {
      const err = await rejection(c.requestJson("GET", "/slow-body", { timeoutMs: 20 }));
      assert.equal((err as Error).name, "TimeoutError");
    } finally {
      await c.close();
    }
  });

  it("streams a watch body until the caller aborts, which fails the iteration with the abort's reason", async () => {
    const seen: Seen[] = [];
    const port = await listen(http.createServer(recording(seen, (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}\n'); // and stays open
    })));
    const c = client(`http://127.0.0.1:${port}`);
    try {
      const ctrl = new AbortController();
      const stream = await c.watch(
        CORE.configMaps,
        { namespace: "ns", resourceVersion: "5", timeoutSeconds: 300, allowWatchBookmarks: true },
        ctrl.signal,
      );
      assert.equal(seen[0]?.url, "/api/v1/namespaces/ns/configmaps?watch=1&resourceVersion=5&allowWatchBookmarks=true&timeoutSeconds=300");
      const reason = new Error("idle");
      const chunks: string[] = [];
      const iteration = (async () => {
        for await (const chunk of stream) {
          chunks.push(Buffer.from(chunk).toString());
          ctrl.abort(reason);
        }
      })();
      assert.equal(await rejection(iteration), reason);
      assert.match(chunks.join(""), /BOOKMARK/);
    } finally {
      await c.close();
    }
  });

  it("throws ApiError for a watch that is not answered 200", async () => {
    const gone = { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" };
    const port = await listen(http.createServer(recording([], json(410, gone))));
    const c = client(`http://127.0.0.1:${port}`);
    try {
      const err = await rejection(c.watch(CORE.configMaps, { resourceVersion: "1" }, new AbortController().signal));
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 410);
    } finally {
      await c.close();
    }
  });

  it("limits the wait for response headers with an ordinary Error", async () => {
    const port = await listen(http.createServer(recording([], () => undefined)));
    const url = new URL(`http://127.0.0.1:${port}/watch`);
    const agent = createAgent(url, { rejectUnauthorized: true });
    try {
      const err = await rejection(send(agent, url, { method: "GET", headers: {}, headersTimeoutMs: 20 }));
      assert.ok(err instanceof Error);
      assert.match(err.message, /no response headers within 20 ms/);
    } finally {
      agent.destroy();
    }
  });
});

/** An https server that requires a client certificate of our CA and answers with the client's CN. */
async function tlsServer(seen: Seen[]): Promise<number> {
  const options = { ca: tls.ca, cert: tls.serverCert, key: tls.serverKey, requestCert: true, rejectUnauthorized: true };
  return listen(https.createServer(options, recording(seen, (req, res) => {
    assert.ok(req.socket instanceof TLSSocket);
    json(200, { user: req.socket.getPeerCertificate().subject.CN })(req, res, "");
  })));
}

/** A forward proxy: CONNECT tunnels to the target; absolute-form http requests it answers itself. */
async function proxyServer(connects: string[], forwarded: Seen[]): Promise<number> {
  const proxy = http.createServer(recording(forwarded, json(200, { via: "proxy" })));
  proxy.on("connect", (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    connects.push(`${req.url} ${req.headers["proxy-authorization"] ?? ""}`.trim());
    const [host, port] = (req.url ?? "").split(":");
    const upstream = net.connect(Number(port), host, () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  return listen(proxy);
}

describe("KubeClient transport over TLS and through a proxy", () => {
  const clientTls = (): TlsOptions => ({ ca: tls.ca, cert: tls.clientCert, key: tls.clientKey, rejectUnauthorized: true });

  it("verifies the server with the CA and presents the client certificate", async () => {
    const port = await tlsServer([]);
    const c = client(`https://127.0.0.1:${port}`, { tls: clientTls() });
    const stranger = client(`https://127.0.0.1:${port}`, { tls: { cert: tls.clientCert, key: tls.clientKey, rejectUnauthorized: true } });
    try {
      assert.deepEqual(await c.requestJson("GET", "/whoami"), { user: "u" });
      const err = await rejection(stranger.requestJson("GET", "/whoami"));
      assert.ok(err instanceof Error && !(err instanceof ApiError));
      assert.match(err.message, /certificate/);
    } finally {
      await c.close();
      await stranger.close();
    }
  });

  it("tunnels https through a proxy-url with CONNECT (credentials from the URL), TLS end to end, kept alive", async () => {
    const seen: Seen[] = [];
    const connects: string[] = [];
    const port = await tlsServer(seen);
    const proxyPort = await proxyServer(connects, []);
    const c = client(`https://127.0.0.1:${port}`, { tls: clientTls(), proxyUrl: `http://op%40x:s3cret@127.0.0.1:${proxyPort}` });
    try {
      assert.deepEqual(await c.requestJson("GET", "/whoami"), { user: "u" });
      assert.deepEqual(await c.requestJson("GET", "/whoami"), { user: "u" });
      const basic = `Basic ${Buffer.from("op@x:s3cret").toString("base64")}`;
      assert.deepEqual(connects, [`127.0.0.1:${port} ${basic}`]);
      assert.equal(seen.length, 2);
      assert.equal(seen[0]?.headers.authorization, "Bearer t0ken");
    } finally {
      await c.close();
    }
  });

  it("sends plain-http requests to the proxy in absolute form", async () => {
    const forwarded: Seen[] = [];
    const proxyPort = await proxyServer([], forwarded);
    // Nothing listens on the discard port: only the proxy can answer.
    const c = client("http://127.0.0.1:9", { proxyUrl: `http://127.0.0.1:${proxyPort}` });
    try {
      assert.deepEqual(await c.requestJson("GET", "/version"), { via: "proxy" });
      assert.equal(forwarded[0]?.url, "http://127.0.0.1:9/version");
    } finally {
      await c.close();
    }
  });
});
