/**
 * Negative controls for the contract harness: each check the contract suite relies on is shown to fail on a pod
 * that is wrong in the way the check guards against, using the real dfs. Without these, a harness bug (a
 * regex that never matches, a probe that always succeeds) would make the suite pass vacuously.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseDocument } from "yaml";
import { matrixCases, sampleCases } from "./cases.ts";
import { makePki } from "./certs.ts";
import type { TestPki } from "./certs.ts";
import { dfsBinary, startDfs, validateConfig, waitForHttp200 } from "./dfs.ts";
import type { EnvVar } from "./pod.ts";
import { containerOf, podSpecOf, prepareLaunch } from "./pod.ts";
import { podAddress, runProbe } from "./probe.ts";
import { defaulted, renderPod } from "./render.ts";
import type { RenderedPod } from "./render.ts";
import { loadConfigSchema } from "./schema.ts";
import type { ConfigSchema } from "./schema.ts";
import { openSession } from "./session.ts";
import type { Database } from "./postgres.ts";

/** A database that is never dialled: these tests only validate or start sqlite servers. */
const UNUSED_DATABASE: Database = { host: "127.0.0.1", port: 1, name: "unused", user: "unused", password: "unused" };

function sample(file: string): Record<string, unknown> {
  const found = sampleCases().find((c) => c.origin.endsWith(file));
  if (!found) throw new Error(`sample ${file} not found`);
  return found.manifest;
}

function withConfig(rendered: RenderedPod, edit: (doc: ReturnType<typeof parseDocument>) => void): RenderedPod {
  const doc = parseDocument(rendered.config);
  edit(doc);
  const config = doc.toString();
  const configMap = { ...rendered.configMap, data: { "config.yaml": config } };
  return { ...rendered, config, configMap, configMaps: new Map([[configMap.metadata.name!, configMap]]) };
}

describe("contract harness negative controls", () => {
  let binary = "";
  let work = "";
  let pki: TestPki;
  let schema: ConfigSchema;

  before(async () => {
    binary = await dfsBinary();
    work = mkdtempSync(join(tmpdir(), "dittofs-contract-harness-"));
    pki = makePki(join(work, "pki"));
    schema = await loadConfigSchema(binary, join(work, "schema-home"));
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("dfs config validate's unknown-key warning is parsed (the reference's ignored controlplane.jwt.issuer)", async () => {
    const dir = join(work, "unknown-key");
    mkdirSync(dir);
    const rendered = withConfig(renderPod(defaulted(sample("dittoserver-minimal.yaml")), { pki }), (doc) => {
      doc.setIn(["controlplane", "jwt", "issuer"], "dittofs");
    });
    const launch = prepareLaunch({ ...rendered, statefulSet: rendered.statefulSet, containerName: "dittofs", binary, dir, freePorts: [1, 2] });
    const report = await validateConfig(binary, launch.configPath, launch.env, join(dir, "home"));
    assert.deepEqual(report.unknownKeys, ["controlplane.jwt.issuer"], report.output);
  });

  it("the relaxed schema still rejects unknown keys, misplaced blocks and wrong types", () => {
    assert.ok(schema.durationKeys.includes("shutdown_timeout") && !schema.durationKeys.includes("controlplane.port"), schema.durationKeys.join(", "));
    const problems = schema.problems("shutdown_timeout: soon\nstores:\n  - name: x\ncontrolplane:\n  port: '8080'\n");
    assert.equal(problems.length >= 3, true, problems.join("\n"));
    assert.ok(problems.some((p) => p.includes("(stores)")), problems.join("\n"));
    assert.ok(problems.some((p) => p.startsWith("/controlplane/port")), problems.join("\n"));
    assert.ok(problems.some((p) => p.startsWith("/shutdown_timeout")), problems.join("\n"));
  });

  it("the effective database is read from dfs: the reference's Percona wiring (DATABASE_URL only) shows up as sqlite", async () => {
    const dir = join(work, "reference-percona");
    mkdirSync(dir);
    const rendered = renderPod(defaulted(sample("dittoserver-percona.yaml")), { pki, database: UNUSED_DATABASE });
    // What the reference rendered: a sqlite config and the Percona URI in an env var nothing reads.
    const reference = withConfig(rendered, (doc) => {
      doc.setIn(["database"], { type: "sqlite", sqlite: { path: "/data/controlplane/controlplane.db" } });
    });
    const container = containerOf(reference.statefulSet, "dittofs");
    const env: EnvVar[] = (container.env ?? []).filter((e) => !e.name.startsWith("DITTOFS_DATABASE_"));
    env.push({ name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "percona-postgres-pguser-dittofs", key: "uri" } } });
    container.env = env;
    const launch = prepareLaunch({ ...reference, containerName: "dittofs", binary, dir, freePorts: [1, 2] });
    const report = await validateConfig(binary, launch.configPath, launch.env, join(dir, "home"));
    assert.equal(report.databaseType, "sqlite", report.output);
  });

  it("with service links on, a server named dittofs would read its metrics Service's link variable as metrics.port", async () => {
    const dir = join(work, "service-links");
    mkdirSync(dir);
    const named = matrixCases().find((c) => c.name === "matrix dittofs");
    assert.ok(named);
    const rendered = renderPod(defaulted(named.manifest), { pki });
    delete podSpecOf(rendered.statefulSet).enableServiceLinks;
    const launch = prepareLaunch({ ...rendered, containerName: "dittofs", binary, dir, freePorts: [1, 2] });
    assert.match(launch.env.DITTOFS_METRICS_PORT ?? "", /^tcp:\/\//);
    const report = await validateConfig(binary, launch.configPath, launch.env, join(dir, "home"));
    assert.equal(report.ok, false, report.output);
    assert.match(report.output, /metrics\.port/);
  });

  it("a pod whose required Secret key is missing does not start; a missing optional key drops the variable", () => {
    const dir = join(work, "secrets");
    const rendered = renderPod(defaulted(sample("dittoserver-minimal.yaml")), { pki });
    const adminSecret = [...rendered.secrets.values()].find((s) => s.metadata.name?.endsWith("-admin-bootstrap-credentials"));
    assert.ok(adminSecret);
    const withoutAdmin = new Map(rendered.secrets);
    withoutAdmin.set(adminSecret.metadata.name!, { ...adminSecret, data: {} });
    assert.throws(
      () => prepareLaunch({ ...rendered, secrets: withoutAdmin, containerName: "dittofs", binary, dir, freePorts: [1, 2] }),
      /DITTOFS_ADMIN_INITIAL_PASSWORD.*CreateContainerConfigError/,
    );
    const external = renderPod(defaulted({ metadata: { name: "pg" }, spec: { storage: { metadataSize: "1Gi" }, database: { postgresSecretRef: { name: "pg" } } } }), {
      pki,
      database: UNUSED_DATABASE,
    });
    const launch = prepareLaunch({ ...external, containerName: "dittofs", binary, dir: join(work, "optional"), freePorts: [1, 2] });
    assert.equal(launch.env.DITTOFS_DATABASE_POSTGRES_HOST, "127.0.0.1");
    assert.equal("DITTOFS_DATABASE_POSTGRES_SSLMODE" in launch.env, false);
  });

  it("a server listening on loopback only fails its probes, as it would in a pod", { skip: podAddress() === "127.0.0.1" && "no non-loopback address here" }, async () => {
    const rendered = withConfig(renderPod(defaulted(sample("dittoserver-minimal.yaml")), { pki }), (doc) => {
      doc.setIn(["controlplane", "host"], "127.0.0.1");
    });
    const session = await openSession(rendered, binary, join(work, "loopback"), pki);
    // Started directly: session.start() would wait for the very probe that must fail.
    const dfs = startDfs(session.launch, join(work, "loopback"));
    try {
      await waitForHttp200(dfs, session.apiUrl("/health"), {});
      await assert.rejects(runProbe(session.container, session.launch, session.container.livenessProbe!), /ECONNREFUSED/);
    } finally {
      await dfs.kill();
      await session.close();
    }
  });

  it("the drain check notices a process that outlives its grace budget", async () => {
    const dir = join(work, "stubborn");
    mkdirSync(dir);
    // Short sleeps, so nothing outlives the SIGKILL by more than a moment.
    writeFileSync(join(dir, "stubborn.sh"), "trap '' TERM\nwhile :; do sleep 0.2; done\n");
    const stubborn = startDfs(
      {
        command: "bash",
        args: [join(dir, "stubborn.sh")],
        env: {},
        renderedConfig: "",
        writtenConfig: "",
        configPath: "",
        ports: new Map(),
        pathsOutsideMounts: [],
        dirsOutsideVolumes: [],
        root: dir,
        hostPath: (p) => p,
      },
      dir,
    );
    await new Promise((r) => setTimeout(r, 300)); // let bash install its trap
    const result = await stubborn.stop(1);
    assert.equal(result.killed, true);
    assert.equal(result.signal, "SIGKILL");
  });
});
