/**
 * The client's transport on a local HTTP server: deadlines, the caller's abort, Authorization and JSON bodies, and
 * that a body which is not what the API documents becomes a typed error. The real server is in
 * test/contract/dittofs-account.test.ts and dittofs-adapters.test.ts; this covers what a healthy dfs never does (hang, answer garbage).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DittoFsClient } from "../../../src/dittofs/client.ts";
import { DittoFsError } from "../../../src/dittofs/errors.ts";

let server: Server;
let port = 0;
const seen: { method: string; url: string; authorization?: string; body: string }[] = [];
let handler: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;

before(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization, body });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function failure(call: Promise<unknown>): Promise<DittoFsError> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof DittoFsError, String(err));
    return err;
  }
  assert.fail("expected a failure");
}

test("a request carries the bearer token and JSON; share names are one path segment", async () => {
  handler = (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"share":"/a b","interval":"1h0m0s","keep_last":0,"enabled":true}');
  const client = new DittoFsClient({ podIP: "127.0.0.1", port });
  try {
    const policy = await client.putSnapshotPolicy("tok.en.x", "/a b", { interval: "1h" });
    assert.deepEqual(policy, { share: "/a b", interval: "1h0m0s", keepLast: 0, ttl: "", enabled: true, namePrefix: "" });
    const last = seen.at(-1)!;
    assert.equal(last.method, "PUT");
    assert.equal(last.url, "/api/v1/shares/%2Fa%20b/snapshot-policy");
    assert.equal(last.authorization, "Bearer tok.en.x");
    assert.deepEqual(JSON.parse(last.body), { interval: "1h" });
  } finally {
    client.close();
  }
});

test("a server that never answers fails at the deadline as transient", async () => {
  handler = () => undefined;
  const client = new DittoFsClient({ podIP: "127.0.0.1", port }, { timeoutMs: 200 });
  try {
    const started = Date.now();
    const err = await failure(client.listAdapters("t"));
    assert.equal(err.kind, "transient");
    assert.ok(Date.now() - started < 5000);
    assert.match(err.message, /GET \/api\/v1\/adapters/);
  } finally {
    client.close();
  }
});

test("the caller's abort ends the request", async () => {
  handler = () => undefined;
  const client = new DittoFsClient({ podIP: "127.0.0.1", port });
  try {
    const controller = new AbortController();
    const pending = failure(client.listAdapters("t", { signal: controller.signal }));
    setTimeout(() => {
      controller.abort(new Error("pass cancelled"));
    }, 50);
    assert.match((await pending).message, /pass cancelled/);
  } finally {
    client.close();
  }
});

test("a 200 whose body is not the documented shape is a typed error, and never quotes the body", async () => {
  handler = (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"access_token":"leaked-token-value"');
  const client = new DittoFsClient({ podIP: "127.0.0.1", port });
  try {
    const broken = await failure(client.login("u", "p"));
    assert.equal(broken.kind, "transient");
    assert.ok(!broken.message.includes("leaked-token-value"), broken.message);
    handler = (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('[{"type":"nfs"}]');
    assert.match((await failure(client.listAdapters("t"))).message, /adapter\[0\]\.port is not a number/);
  } finally {
    client.close();
  }
});

test("a 401 of the login carries the server's text but not the password sent", async () => {
  // A server that echoes the request body: the worst case for a leak.
  handler = (_req, res) => res.writeHead(401, { "content-type": "text/plain; charset=utf-8" }).end(`Invalid username or password (${seen.at(-1)?.body ?? ""})\n`);
  const client = new DittoFsClient({ podIP: "127.0.0.1", port });
  try {
    const err = await failure(client.login("k8s-operator", "pa55-word-xyz"));
    assert.equal(err.kind, "unauthorized");
    assert.match(err.message, /Invalid username or password/);
    assert.ok(!err.message.includes("pa55-word-xyz"), err.message);
  } finally {
    client.close();
  }
});
