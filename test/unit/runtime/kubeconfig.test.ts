import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { FakeClock } from "../../../src/runtime/clock.ts";
import { TOKEN_FILE_CACHE_MS } from "../../../src/runtime/credentials.ts";
import { loadKubeConfig } from "../../../src/runtime/kubeconfig.ts";
import type { LoadOptions, RestConfig } from "../../../src/runtime/kubeconfig.ts";

type Fields = Record<string, unknown>;

let root: string;
let seq = 0;
before(() => {
  root = mkdtempSync(join(tmpdir(), "kubeconfig-test-"));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A fresh directory per test, so tests never see each other's files. */
function freshDir(): string {
  const dir = join(root, String(++seq));
  mkdirSync(dir, { recursive: true });
  return dir;
}

function write(path: string, content: string | object): string {
  writeFileSync(path, typeof content === "string" ? content : stringify(content));
  return path;
}

/** One cluster "c", one user "u", context "ctx" (current). */
function single(user: Fields, cluster: Fields = { server: "https://api.example:6443" }): Fields {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster }],
    users: [{ name: "u", user }],
    contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
    "current-context": "ctx",
  };
}

/** Isolated from the real process: no KUBECONFIG, HOME in the test directory, no in-cluster env. */
function isolated(dir: string, env: Record<string, string> = {}, extra: Omit<LoadOptions, "env"> = {}): LoadOptions {
  return { env: { HOME: join(dir, "home"), ...env }, serviceAccountDir: join(dir, "sa"), ...extra };
}

async function authorization(config: RestConfig): Promise<string | undefined> {
  return (await config.authHeaders()).authorization;
}

const b64 = (s: string): string => Buffer.from(s).toString("base64");

describe("loadKubeConfig: where the kubeconfig comes from", () => {
  it("reads an explicit file: server without trailing slash, static token", async () => {
    const dir = freshDir();
    const file = write(join(dir, "config"), single({ token: "abc" }, { server: "https://api.example:6443/prefix/" }));
    const config = loadKubeConfig(file, isolated(dir));
    assert.equal(config.server, "https://api.example:6443/prefix");
    assert.equal(await authorization(config), "Bearer abc");
    assert.equal(config.tls.rejectUnauthorized, true);
    assert.equal(config.proxyUrl, undefined);
  });

  it("merges a $KUBECONFIG list: the first file to define a name or current-context wins, missing files are skipped", async () => {
    const dir = freshDir();
    const first = write(join(dir, "first"), {
      clusters: [{ name: "c", cluster: { server: "https://first.example" } }],
      contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
    });
    const second = write(join(dir, "second"), {
      clusters: [{ name: "c", cluster: { server: "https://second.example" } }],
      users: [{ name: "u", user: { token: "from-second" } }],
      contexts: [{ name: "ctx", context: { cluster: "other", user: "nobody" } }, { name: "ctx2", context: { cluster: "c" } }],
      "current-context": "ctx",
    });
    const third = write(join(dir, "third"), { users: [{ name: "u", user: { token: "from-third" } }], "current-context": "ctx2" });
    const list = [first, join(dir, "missing"), second, third].join(":");
    const config = loadKubeConfig(undefined, isolated(dir, { KUBECONFIG: list }));
    assert.equal(config.server, "https://first.example");
    assert.equal(await authorization(config), "Bearer from-second");
  });

  it("uses ~/.kube/config when $KUBECONFIG is unset", async () => {
    const dir = freshDir();
    mkdirSync(join(dir, "home", ".kube"), { recursive: true });
    write(join(dir, "home", ".kube", "config"), single({ token: "home" }));
    assert.equal(await authorization(loadKubeConfig(undefined, isolated(dir))), "Bearer home");
  });

  it("does not fall back to ~/.kube/config when $KUBECONFIG names only missing files", () => {
    const dir = freshDir();
    mkdirSync(join(dir, "home", ".kube"), { recursive: true });
    write(join(dir, "home", ".kube", "config"), single({ token: "home" }));
    assert.throws(() => loadKubeConfig(undefined, isolated(dir, { KUBECONFIG: join(dir, "missing") })), /no kubeconfig found.*missing.*KUBERNETES_SERVICE_HOST/s);
  });

  it("resolves relative paths against the directory of the file that defined them", async () => {
    const dir = freshDir();
    mkdirSync(join(dir, "a", "pki"), { recursive: true });
    mkdirSync(join(dir, "b"), { recursive: true });
    write(join(dir, "a", "pki", "ca.crt"), "CA-A");
    write(join(dir, "a", "pki", "client.crt"), "CERT-B-WRONG");
    write(join(dir, "b", "client.crt"), "CERT-B");
    write(join(dir, "b", "client.key"), "KEY-B");
    write(join(dir, "b", "token"), "token-b\n");
    const a = write(join(dir, "a", "config"), { clusters: [{ name: "c", cluster: { server: "https://a", "certificate-authority": "pki/ca.crt" } }] });
    const b = write(join(dir, "b", "config"), {
      users: [{ name: "u", user: { "client-certificate": "client.crt", "client-key": "./client.key", tokenFile: "token" } }],
      contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
      "current-context": "ctx",
    });
    const config = loadKubeConfig(undefined, isolated(dir, { KUBECONFIG: `${a}:${b}` }));
    assert.equal(config.tls.ca?.toString(), "CA-A");
    assert.equal(config.tls.cert?.toString(), "CERT-B");
    assert.equal(config.tls.key?.toString(), "KEY-B");
    assert.equal(await authorization(config), "Bearer token-b");
  });
});

describe("loadKubeConfig: clusters and credentials", () => {
  it("prefers *-data (base64) over files, and passes tls-server-name and proxy-url", () => {
    const dir = freshDir();
    const user = { "client-certificate-data": b64("CERT"), "client-key-data": b64("KEY"), "client-certificate": "missing.crt", "client-key": "missing.key" };
    const cluster = { server: "https://10.0.0.1:6443", "certificate-authority-data": b64("CA"), "certificate-authority": "missing.crt", "tls-server-name": "kubernetes", "proxy-url": "http://proxy.example:3128" };
    const config = loadKubeConfig(write(join(dir, "config"), single(user, cluster)), isolated(dir));
    assert.deepEqual(
      { ca: config.tls.ca?.toString(), cert: config.tls.cert?.toString(), key: config.tls.key?.toString(), servername: config.tls.servername, proxy: config.proxyUrl },
      { ca: "CA", cert: "CERT", key: "KEY", servername: "kubernetes", proxy: "http://proxy.example:3128" },
    );
  });

  it("insecure-skip-tls-verify turns verification off; a client certificate alone sends no authorization", async () => {
    const dir = freshDir();
    const user = { "client-certificate-data": b64("CERT"), "client-key-data": b64("KEY") };
    const config = loadKubeConfig(write(join(dir, "config"), single(user, { server: "https://api", "insecure-skip-tls-verify": true })), isolated(dir));
    assert.equal(config.tls.rejectUnauthorized, false);
    assert.deepEqual(await config.authHeaders(), {});
  });

  it("sends Basic auth for username/password", async () => {
    const dir = freshDir();
    const config = loadKubeConfig(write(join(dir, "config"), single({ username: "admin", password: "s3cret:x" })), isolated(dir));
    assert.equal(await authorization(config), `Basic ${b64("admin:s3cret:x")}`);
  });

  it("re-reads a tokenFile once the cached copy is a minute old, keeping the last token while the file is unreadable", async () => {
    const dir = freshDir();
    const tokenPath = write(join(dir, "token"), "one");
    const clock = new FakeClock();
    const config = loadKubeConfig(write(join(dir, "config"), single({ tokenFile: tokenPath, token: "static-is-ignored" })), isolated(dir, {}, { clock }));
    assert.equal(await authorization(config), "Bearer one");
    write(tokenPath, "two");
    clock.stall(TOKEN_FILE_CACHE_MS - 1);
    assert.equal(await authorization(config), "Bearer one");
    clock.stall(1);
    assert.equal(await authorization(config), "Bearer two");
    unlinkSync(tokenPath);
    clock.stall(TOKEN_FILE_CACHE_MS);
    assert.equal(await authorization(config), "Bearer two");
    write(tokenPath, "three");
    assert.equal(await authorization(config), "Bearer three");
  });
});

/**
 * An exec plugin: node running a script that appends each request to $PLUGIN_LOG and answers
 * `<$TOKEN_PREFIX><run number>`, expiring at $PLUGIN_EXPIRY if set. Settings come through the kubeconfig's exec env.
 */
const PLUGIN_SCRIPT = `
const fs = require("node:fs");
const log = process.env.PLUGIN_LOG, expiry = process.env.PLUGIN_EXPIRY;
fs.appendFileSync(log, process.env.KUBERNETES_EXEC_INFO + "\\n");
const run = fs.readFileSync(log, "utf8").trim().split("\\n").length;
const request = JSON.parse(process.env.KUBERNETES_EXEC_INFO);
const status = { token: process.env.TOKEN_PREFIX + run };
if (expiry) status.expirationTimestamp = expiry;
process.stdout.write(JSON.stringify({ apiVersion: request.apiVersion, kind: "ExecCredential", status }));
`;

function pluginEnv(log: string, prefix: string, expiry?: string): { name: string; value: string }[] {
  const env = [{ name: "PLUGIN_LOG", value: log }, { name: "TOKEN_PREFIX", value: prefix }];
  return expiry ? [...env, { name: "PLUGIN_EXPIRY", value: expiry }] : env;
}

function execUser(exec: Fields): Fields {
  return { exec: { apiVersion: "client.authentication.k8s.io/v1", command: process.execPath, interactiveMode: "Never", ...exec } };
}

function runs(log: string): Fields[] {
  return readFileSync(log, "utf8").trim().split("\n").map((line) => JSON.parse(line) as Fields);
}

describe("loadKubeConfig: exec credential plugins", () => {
  it("caches the token until status.expirationTimestamp and runs the plugin again after it", async () => {
    const dir = freshDir();
    const clock = new FakeClock();
    const expiry = new Date(clock.now() + 600_000).toISOString();
    const log = join(dir, "runs.log");
    const user = execUser({ args: ["-e", PLUGIN_SCRIPT], env: pluginEnv(log, "tok-", expiry) });
    const config = loadKubeConfig(write(join(dir, "config"), single(user)), isolated(dir, {}, { clock }));
    const concurrent = await Promise.all([authorization(config), authorization(config)]);
    assert.deepEqual(concurrent, ["Bearer tok-1", "Bearer tok-1"]);
    clock.stall(599_999);
    assert.equal(await authorization(config), "Bearer tok-1");
    assert.equal(runs(log).length, 1);
    clock.stall(1);
    assert.equal(await authorization(config), "Bearer tok-2");
    assert.deepEqual(runs(log)[0], { apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", spec: { interactive: false } });
  });

  it("keeps a token without expirationTimestamp; speaks v1beta1; sends cluster info when provideClusterInfo is set", async () => {
    const dir = freshDir();
    const clock = new FakeClock();
    const log = join(dir, "runs.log");
    const user = execUser({ apiVersion: "client.authentication.k8s.io/v1beta1", args: ["-e", PLUGIN_SCRIPT], env: pluginEnv(log, "beta-"), provideClusterInfo: true });
    const cluster = { server: "https://api.example", "certificate-authority-data": b64("CA"), extensions: [{ name: "client.authentication.k8s.io/exec", extension: { audience: "x" } }] };
    const config = loadKubeConfig(write(join(dir, "config"), single(user, cluster)), isolated(dir, {}, { clock }));
    assert.equal(await authorization(config), "Bearer beta-1");
    clock.stall(365 * 24 * 3600_000);
    assert.equal(await authorization(config), "Bearer beta-1");
    const [request] = runs(log);
    assert.deepEqual(request?.spec, {
      interactive: false,
      cluster: { server: "https://api.example", "certificate-authority-data": b64("CA"), config: { audience: "x" } },
    });
  });

  it("resolves a command with a path separator against the kubeconfig's directory", async () => {
    const dir = freshDir();
    mkdirSync(join(dir, "bin"));
    const log = join(dir, "runs.log");
    const plugin = write(join(dir, "bin", "plugin"), `#!${process.execPath}\n${PLUGIN_SCRIPT}`);
    chmodSync(plugin, 0o755);
    const user = execUser({ command: "./bin/plugin", env: pluginEnv(log, "rel-") });
    const config = loadKubeConfig(write(join(dir, "config"), single(user)), isolated(dir));
    assert.equal(await authorization(config), "Bearer rel-1");
  });

  it("fails with the exit code, stderr and installHint when the plugin fails, and runs it again on the next request", async () => {
    const dir = freshDir();
    const script = 'require("node:fs").appendFileSync(process.argv[1], "x"); console.error("no credentials here"); process.exit(3)';
    const log = join(dir, "runs.log");
    const user = execUser({ args: ["-e", script, log], installHint: "install the example-login plugin" });
    const config = loadKubeConfig(write(join(dir, "config"), single(user)), isolated(dir));
    await assert.rejects(config.authHeaders(), /failed with exit code 3: no credentials here\n\ninstall the example-login plugin/);
    await assert.rejects(config.authHeaders(), /exit code 3/);
    assert.equal(readFileSync(log, "utf8"), "xx");
  });

  it("names a missing command with its installHint", async () => {
    const dir = freshDir();
    const user = execUser({ command: "no-such-credential-plugin-anywhere", installHint: "get it from your admin" });
    const config = loadKubeConfig(write(join(dir, "config"), single(user)), isolated(dir));
    await assert.rejects(config.authHeaders(), /no-such-credential-plugin-anywhere not found\n\nget it from your admin/);
  });

  it("refuses client certificates from a plugin, and answers of another apiVersion", async () => {
    const dir = freshDir();
    const answer = (cred: object): string => `process.stdout.write(${JSON.stringify(JSON.stringify(cred))})`;
    const cert = answer({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { clientCertificateData: "C", clientKeyData: "K" } });
    const certConfig = loadKubeConfig(write(join(dir, "cert"), single(execUser({ args: ["-e", cert] }))), isolated(dir));
    await assert.rejects(certConfig.authHeaders(), /client certificate.*not supported/);
    const beta = answer({ apiVersion: "client.authentication.k8s.io/v1beta1", kind: "ExecCredential", status: { token: "t" } });
    const betaConfig = loadKubeConfig(write(join(dir, "beta"), single(execUser({ args: ["-e", beta] }))), isolated(dir));
    await assert.rejects(betaConfig.authHeaders(), /want ExecCredential of client\.authentication\.k8s\.io\/v1\b/);
  });
});

describe("loadKubeConfig: in-cluster", () => {
  function serviceAccount(dir: string): string {
    const sa = join(dir, "sa");
    mkdirSync(sa);
    write(join(sa, "ca.crt"), "CLUSTER-CA");
    write(join(sa, "token"), "sa-token-1\n");
    return sa;
  }

  it("uses the service env, the mounted CA and the token, re-read after rotation", async () => {
    const dir = freshDir();
    const sa = serviceAccount(dir);
    const clock = new FakeClock();
    const config = loadKubeConfig(undefined, isolated(dir, { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" }, { clock }));
    assert.equal(config.server, "https://10.96.0.1:443");
    assert.equal(config.tls.ca?.toString(), "CLUSTER-CA");
    assert.equal(await authorization(config), "Bearer sa-token-1");
    write(join(sa, "token"), "sa-token-2");
    clock.stall(TOKEN_FILE_CACHE_MS);
    assert.equal(await authorization(config), "Bearer sa-token-2");
  });

  it("brackets an IPv6 service host", () => {
    const dir = freshDir();
    serviceAccount(dir);
    const config = loadKubeConfig(undefined, isolated(dir, { KUBERNETES_SERVICE_HOST: "fd00:10:96::1", KUBERNETES_SERVICE_PORT: "6443" }));
    assert.equal(config.server, "https://[fd00:10:96::1]:6443");
  });

  it("names the missing token file", () => {
    const dir = freshDir();
    mkdirSync(join(dir, "sa"));
    write(join(dir, "sa", "ca.crt"), "CA");
    const opts = isolated(dir, { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" });
    assert.throws(() => loadKubeConfig(undefined, opts), new RegExp(`cannot read token file ${join(dir, "sa", "token")}`));
  });
});

describe("loadKubeConfig: errors name what is wrong", () => {
  const cases: [string, Fields | string, RegExp][] = [
    ["no current-context", { ...single({}), "current-context": undefined }, /current-context is not set/],
    ["unknown context", { ...single({}), "current-context": "nope" }, /context "nope" not found/],
    ["unknown cluster", { ...single({}), contexts: [{ name: "ctx", context: { cluster: "gone", user: "u" } }] }, /cluster "gone" of context "ctx" not found/],
    ["unknown user", { ...single({}), contexts: [{ name: "ctx", context: { cluster: "c", user: "ghost" } }] }, /user "ghost" of context "ctx" not found/],
    ["cluster without server", single({}, { "insecure-skip-tls-verify": true }), /cluster "c" has no server/],
    ["unreadable CA file", single({}, { server: "https://a", "certificate-authority": "/nonexistent/ca.crt" }), /cannot read cluster "c" certificate-authority \/nonexistent\/ca\.crt/],
    ["CA with insecure", single({}, { server: "https://a", "certificate-authority-data": b64("CA"), "insecure-skip-tls-verify": true }), /exclude each other/],
    ["certificate without key", single({ "client-certificate-data": b64("C") }), /user "u" has a client certificate but no client-key/],
    ["token and basic auth", single({ token: "t", username: "a", password: "b" }), /both a token and a username\/password/],
    ["auth-provider", single({ "auth-provider": { name: "oidc", config: {} } }), /"oidc" auth-provider, which is not supported: configure an exec credential plugin/],
    ["exec apiVersion", single(execUser({ apiVersion: "client.authentication.k8s.io/v1alpha1" })), /apiVersion "client\.authentication\.k8s\.io\/v1alpha1" is not supported/],
    ["socks proxy", single({}, { server: "https://a", "proxy-url": "socks5://p:1080" }), /unsupported proxy-url scheme: socks5/],
    ["invalid YAML", "clusters: [\n", /is not valid YAML/],
  ];
  for (const [name, content, message] of cases) {
    it(name, () => {
      const dir = freshDir();
      const file = write(join(dir, "config"), content);
      assert.throws(() => loadKubeConfig(file, isolated(dir)), message);
    });
  }

  it("names an explicit file that cannot be read", () => {
    const dir = freshDir();
    const file = join(dir, "absent");
    assert.throws(() => loadKubeConfig(file, isolated(dir)), new RegExp(`cannot read kubeconfig ${file}: .*ENOENT`));
  });
});
