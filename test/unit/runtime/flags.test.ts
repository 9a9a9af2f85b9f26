import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultFlags, FlagError, parseBindAddress, parseDuration, parseManagerFlags } from "../../../src/runtime/flags.ts";

const defaults = defaultFlags("my-operator-lock");

describe("parseManagerFlags", () => {
  it("keeps controller-runtime defaults when no flag is given", () => {
    const f = parseManagerFlags([], defaults);
    assert.equal(f.metricsBindAddress, ":8080");
    assert.equal(f.healthProbeBindAddress, ":8081");
    assert.equal(f.leaderElect, false);
    assert.equal(f.leaderElectionId, "my-operator-lock");
    assert.equal(f.concurrency, 1);
    assert.equal(f.namespace, undefined);
    assert.equal(f.gracefulShutdownTimeoutMs, 30_000);
  });

  it("accepts Go flag syntax", () => {
    const f = parseManagerFlags(
      [
        "--leader-elect",
        "--leader-election-namespace=ops",
        "--leader-election-id",
        "lock",
        "--concurrency=4",
        "-namespace=team-a",
        "--metrics-bind-address=0",
        "--log-level=debug",
        "--leader-elect-lease-duration=4s",
        "--leader-elect-renew-deadline=3s",
        "--leader-elect-retry-period=500ms",
      ],
      defaults,
    );
    assert.equal(f.leaderElect, true);
    assert.equal(f.leaderElectionNamespace, "ops");
    assert.equal(f.leaderElectionId, "lock");
    assert.equal(f.concurrency, 4);
    assert.equal(f.namespace, "team-a");
    assert.equal(f.metricsBindAddress, "0");
    assert.equal(f.logLevel, "debug");
    assert.deepEqual([f.leaseDurationMs, f.renewDeadlineMs, f.retryPeriodMs], [4000, 3000, 500]);
    assert.equal(parseManagerFlags(["--leader-elect=false"], defaults).leaderElect, false);
  });

  it("serves metrics securely by default; --metrics-secure=false for plain HTTP; a certificate directory", () => {
    const d = parseManagerFlags([], defaults);
    assert.deepEqual([d.metricsSecure, d.metricsCertPath, d.metricsCertName, d.metricsCertKey], [true, "", "tls.crt", "tls.key"]);
    const f = parseManagerFlags(["--metrics-secure=false", "--metrics-cert-path=/certs", "--metrics-cert-name=c.pem", "--metrics-cert-key", "k.pem"], defaults);
    assert.deepEqual([f.metricsSecure, f.metricsCertPath, f.metricsCertName, f.metricsCertKey], [false, "/certs", "c.pem", "k.pem"]);
  });

  it("rejects unknown flags, missing values and bad numbers with a clear message", () => {
    assert.throws(() => parseManagerFlags(["--nope"], defaults), (e) => e instanceof FlagError && /unknown flag --nope/.test(e.message));
    assert.throws(() => parseManagerFlags(["--namespace"], defaults), /needs a value/);
    assert.throws(() => parseManagerFlags(["--concurrency=0"], defaults), /positive integer/);
    assert.throws(() => parseManagerFlags(["--leader-elect=yes"], defaults), /true or false/);
    assert.throws(() => parseManagerFlags(["stray"], defaults), /unexpected argument/);
    assert.throws(() => parseManagerFlags(["--leader-elect-renew-deadline=20s"], defaults), /lease-duration > renew-deadline/);
  });
});

describe("parseDuration / parseBindAddress", () => {
  it("parses Go durations", () => {
    assert.equal(parseDuration("1m30s"), 90_000);
    assert.equal(parseDuration("1.5s"), 1500);
    assert.throws(() => parseDuration("15"), /invalid duration/);
    assert.throws(() => parseDuration("5x"), /invalid duration/);
  });

  it("parses bind addresses; 0 disables", () => {
    assert.deepEqual(parseBindAddress(":8081"), { host: undefined, port: 8081 });
    assert.deepEqual(parseBindAddress("127.0.0.1:0"), { host: "127.0.0.1", port: 0 });
    assert.deepEqual(parseBindAddress("[::1]:9000"), { host: "::1", port: 9000 });
    assert.equal(parseBindAddress("0"), undefined);
    assert.throws(() => parseBindAddress("8080"), /host:port/);
    assert.throws(() => parseBindAddress(":99999"), /invalid port/);
  });
});
