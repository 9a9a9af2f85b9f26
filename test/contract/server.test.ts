/**
 * Contract between what the operator renders and the real DittoFS v0.29.0 server. For every sample and every
 * matrix spec, the pod the builders describe (config.yaml, env from Secrets, args, probes, preStop, grace period)
 * is started as a real `dfs` and checked from the outside: the config validates, the probes pass, the admin
 * bootstrap Secret logs in, the database and identity providers are the ones the spec asks for, and SIGTERM
 * drains within the grace period.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { durationSeconds, effectiveDatabase } from "../../src/api/derived.ts";
import { apiService, desiredServiceMonitor, metricsService } from "../../src/dittoserver/services.ts";
import { allCases, kerberosPrincipal } from "./cases.ts";
import { makePki } from "./certs.ts";
import type { TestPki } from "./certs.ts";
import { dfsBinary, tail, validateConfig } from "./dfs.ts";
import { openConnection, parseJson, request } from "./http.ts";
import { podSpecOf, resolveContainerEnv } from "./pod.ts";
import { startPostgres } from "./postgres.ts";
import type { Database, PostgresServer } from "./postgres.ts";
import { hostPort, preStopSeconds, runProbe } from "./probe.ts";
import { defaulted, renderPod } from "./render.ts";
import { loadConfigSchema } from "./schema.ts";
import type { ConfigSchema } from "./schema.ts";
import { accessToken, openSession } from "./session.ts";
import type { Session } from "./session.ts";

const cases = allCases();
const drains: { name: string; drainMs: number; budgetSeconds: number; client: boolean }[] = [];

describe("DittoFS v0.29.0 runs what the operator renders", () => {
  let binary = "";
  let work = "";
  let pki: TestPki;
  let schema: ConfigSchema;
  let postgres: PostgresServer | undefined;
  const suiteStart = Date.now();

  before(async () => {
    binary = await dfsBinary();
    work = mkdtempSync(join(tmpdir(), "dittofs-contract-"));
    pki = makePki(join(work, "pki"));
    schema = await loadConfigSchema(binary, join(work, "schema-home"));
    if (cases.some((c) => effectiveDatabase(defaulted(c.manifest).spec).type === "postgres")) postgres = await startPostgres();
  });

  after(async () => {
    await postgres?.stop();
    const rows = drains.map(
      (d) => `  ${d.name.padEnd(44)} ${(d.drainMs / 1000).toFixed(2).padStart(6)} s  (budget ${d.budgetSeconds} s${d.client ? ", one NFS client held open" : ""})`,
    );
    console.log(`SIGTERM drain times (grace period minus preStop as budget):\n${rows.join("\n")}`);
    console.log(`contract suite wall time: ${((Date.now() - suiteStart) / 1000).toFixed(1)} s`);
    // Logs and rendered files stay for inspection when asked to (one directory per case, dfs.log in each).
    if (process.env.DITTOFS_CONTRACT_KEEP) console.log(`contract work directory kept: ${work}`);
    else if (work) rmSync(work, { recursive: true, force: true });
  });

  cases.forEach((c, index) => {
    describe(c.name, { todo: c.knownDrift }, () => {
      let session: Session;
      let database: Database | undefined;
      let dir = "";
      let token = "";
      let nfsPort = 0;

      before(async () => {
        dir = join(work, `case-${index}`);
        mkdirSync(dir, { recursive: true });
        const server = defaulted(c.manifest);
        if (effectiveDatabase(server.spec).type === "postgres") database = await postgres!.createDatabase(`dittofs_${index}`);
        const rendered = renderPod(server, { pki, database, kerberosPrincipal: kerberosPrincipal(c.manifest), postgresSslmode: c.postgresSslmode });
        session = await openSession(rendered, binary, dir, pki);
      });

      after(async () => {
        await session?.close();
      });

      it("dfs config validate accepts config.yaml with the pod's env: no warning, no unknown key", async (t) => {
        const { launch, rendered, config } = session;
        const report = await validateConfig(binary, launch.configPath, launch.env, join(dir, "home"));
        assert.equal(report.code, 0, report.output);
        assert.deepEqual(report.unknownKeys, [], report.output);
        assert.deepEqual(report.warnings, [], report.output);
        assert.ok(report.ok, report.output);
        // The database dfs will really use, after env overrides: what the spec asked for.
        assert.equal(report.databaseType, effectiveDatabase(rendered.server.spec).type, report.output);
        assert.equal(report.apiHost, "0.0.0.0", "the API must listen beyond loopback for probes and Services");
        assert.equal(report.apiTls, String(config.controlplane?.tls?.cert_file !== undefined));
        t.diagnostic(`rendered config.yaml:\n${rendered.config}`);
      });

      it("config.yaml conforms to the schema of dfs config schema", () => {
        assert.deepEqual(schema.problems(session.rendered.config), [], session.rendered.config);
      });

      it("every file path in config.yaml and the env lies on a pod volume", () => {
        assert.deepEqual(session.launch.pathsOutsideMounts, []);
      });

      if (initContainersOf(c)) {
        it("its init containers finish against the real database", async () => {
          const { rendered } = session;
          const inits = podSpecOf(rendered.statefulSet).initContainers ?? [];
          assert.ok(inits.length > 0, "a Percona pod should wait for its cluster rather than crash-loop on the first migration");
          for (const init of inits) {
            const env = resolveContainerEnv(init, rendered);
            const [command, ...args] = init.command ?? [];
            assert.ok(command, `init container ${init.name} has no command`);
            // Bounded well below the script's own limit: a wait that does not end quickly here never will.
            const result = await runCommand(command, args, env, 30_000);
            assert.equal(result.code, 0, `init container ${init.name}: ${result.output}`);
          }
        });
      }

      it("passes the StatefulSet's startup, liveness and readiness probes", async (t) => {
        const { container, launch, rendered } = session;
        await session.start();
        const probes = { startup: container.startupProbe, liveness: container.livenessProbe, readiness: container.readinessProbe };
        for (const [kind, probe] of Object.entries(probes)) {
          assert.ok(probe, `the container has no ${kind} probe`);
          const outcome = await runProbe(container, launch, probe);
          if (outcome.kind === "http") {
            assert.equal(outcome.response.status, 200, `${kind} ${outcome.scheme} ${outcome.path}: ${outcome.response.body}`);
            t.diagnostic(`${kind}: ${outcome.scheme} ${outcome.path} → ${outcome.response.status}`);
          } else {
            t.diagnostic(`${kind}: TCP connect ok`);
          }
        }
        const health = parseJson(await request(session.apiUrl("/health"), { tls: session.apiTls() }), "/health") as { data?: Record<string, unknown> };
        assert.equal(health.data?.control_plane_db, "reachable");
        // The API Service forwards to the same listener.
        const servicePorts = (apiService(rendered.server).spec as { ports: { targetPort: number | string }[] }).ports;
        for (const port of servicePorts) hostPort(container, launch, port.targetPort);
      });

      if (logFileOf(c.manifest)) it("writes its log file where logging.output says, on the control-plane volume", () => {
        session.server();
        const { launch, container } = session;
        const output = logFileOf(c.manifest)!;
        assert.ok(container.volumeMounts?.some((m) => output.startsWith(`${m.mountPath}/`)), `${output} is on no volume`);
        const file = launch.hostPath(output);
        assert.ok(existsSync(file) && statSync(file).size > 0, `no log lines in ${file}`);
      });

      if (isMtlsCase(c.manifest)) it("under mTLS, probes are TCP and HTTPS needs a client certificate", async () => {
        session.server();
        const { container } = session;
        for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
          assert.ok(probe?.tcpSocket && !probe.httpGet, "HTTP probes cannot pass when every route demands a client certificate");
        }
        assert.equal((await request(session.apiUrl("/health"), { tls: session.apiTls(true) })).status, 200);
        await assert.rejects(request(session.apiUrl("/health"), { tls: session.apiTls(false) }), "a request without a client certificate must be refused");
      });

      it("the admin bootstrap Secret logs in as admin", async () => {
        session.server();
        const response = await session.login();
        token = accessToken(response);
        const user = (parseJson(response, "login") as { user?: { role?: string; must_change_password?: boolean } }).user;
        assert.equal(user?.role, "admin");
        assert.equal(user?.must_change_password, false, "a must-change admin cannot call the API the operator needs");
        nfsPort = (await session.moveAdapters(token)).nfs;
      });

      if (hasMetrics(c.manifest)) it("serves metrics where its Service and ServiceMonitor send scrapers", async () => {
        session.server();
        const { rendered, container, launch } = session;
        const service = metricsService(rendered.server)!;
        const servicePort = (service.spec as { ports: { targetPort: number | string }[] }).ports[0]!;
        const monitor = desiredServiceMonitor(rendered.server);
        const path =
          (monitor?.spec as { endpoints?: { path?: string }[] } | undefined)?.endpoints?.[0]?.path ??
          service.metadata.annotations?.["prometheus.io/path"] ??
          rendered.server.spec.metrics!.path;
        const url = `http://127.0.0.1:${hostPort(container, launch, servicePort.targetPort)}${path}`;
        const tokenRef = rendered.server.spec.metrics!.bearerTokenSecret;
        const headers: Record<string, string> = {};
        if (tokenRef) {
          const secretToken = Buffer.from((rendered.secrets.get(tokenRef.name)!.data as Record<string, string>)[tokenRef.key!]!, "base64").toString();
          assert.equal((await request(url)).status, 401, "metrics without the bearer token must be refused");
          headers.authorization = `Bearer ${secretToken}`;
        }
        const ok = await request(url, { headers });
        assert.equal(ok.status, 200, ok.body.slice(0, 300));
        assert.match(ok.body, /^# (HELP|TYPE) /m);
      });

      if (hasIdentityProvider(c.manifest)) it("uses the identity providers the spec configures", async () => {
        session.server();
        const identity = session.rendered.server.spec.identity!;
        if (identity.ldap?.enabled) {
          const response = await session.call("GET", "/api/v1/identity-providers/ldap/config", token);
          assert.equal(response.status, 200, response.body);
          const ldap = parseJson(response, "ldap config") as Record<string, unknown>;
          assert.equal(ldap.url, identity.ldap.url);
          assert.equal(ldap.base_dn, identity.ldap.baseDN);
          assert.equal(ldap.bind_dn, identity.ldap.bindDN);
          // Write-only: the server shows a placeholder when the env delivered a bind password.
          assert.equal(ldap.bind_password, identity.ldap.bindPasswordSecretRef ? "********" : undefined);
          const caFile = (session.config as { ldap?: { tls?: { ca_cert_file?: string } } }).ldap?.tls?.ca_cert_file;
          if (identity.ldap.caCertSecretRef) {
            // The private CA from the Secret is where the config points, inside a read-only Secret volume.
            assert.ok(caFile, "ldap.tls.ca_cert_file is not rendered");
            assert.equal(readFileSync(session.launch.hostPath(caFile), "utf8"), pki.ca.cert);
          }
        }
        if (identity.kerberos?.enabled) {
          const response = await session.call("GET", "/api/v1/identity-providers/kerberos/config", token);
          assert.equal(response.status, 200, response.body);
          const kerberos = parseJson(response, "kerberos config") as Record<string, unknown>;
          assert.equal(kerberos.enabled, true);
          assert.equal(kerberos.service_principal, identity.kerberos.servicePrincipal);
          assert.match(session.server().log(), /RPCSEC_GSS \(Kerberos\) authentication enabled/, "the NFS adapter did not load the keytab");
        }
      });

      it("keeps its control plane where the spec says", async () => {
        session.server();
        const { rendered, launch, container, config } = session;
        const db = effectiveDatabase(rendered.server.spec);
        if (db.type === "postgres") {
          const tables = await postgres!.query(database!, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
          for (const table of ["users", "groups", "adapters"]) assert.ok(tables.includes(table), `table ${table} missing in PostgreSQL: ${tables.join(", ")}`);
          assert.deepEqual(await postgres!.query(database!, "SELECT username FROM users WHERE role = 'admin'"), ["admin"]);
        } else {
          const file = launch.hostPath(config.database?.sqlite?.path ?? "");
          assert.ok(statSync(file).size > 0, `SQLite database ${file} is empty`);
          const claims = (rendered.statefulSet.spec as { volumeClaimTemplates: { metadata: { name: string } }[] }).volumeClaimTemplates.map((v) => v.metadata.name);
          const mount = container.volumeMounts?.find((m) => db.path.startsWith(`${m.mountPath}/`));
          assert.ok(mount && claims.includes(mount.name), `SQLite path ${db.path} is not on a persistent volume claim`);
        }
      });

      it("drains on SIGTERM within terminationGracePeriodSeconds minus the preStop sleep", async (t) => {
        const server = session.server();
        const grace = podSpecOf(session.rendered.statefulSet).terminationGracePeriodSeconds;
        assert.ok(typeof grace === "number", "the pod must set terminationGracePeriodSeconds");
        const budget = grace - preStopSeconds(session.container);
        // dfs promises to exit by 3 × shutdown_timeout + 5 s after SIGTERM; the kubelet must not kill it sooner.
        const selfExit = 3 * durationSeconds(session.config.shutdown_timeout ?? "30s") + 5;
        assert.ok(budget >= selfExit, `grace ${grace} s - preStop leaves ${budget} s, less than dfs's own deadline of ${selfExit} s`);
        // An NFS client that never hangs up makes the adapter wait its full shutdown_timeout: the slow path.
        const client = c.holdClientDuringDrain ? await openConnection("127.0.0.1", nfsPort) : undefined;
        try {
          const result = await server.stop(budget);
          drains.push({ name: c.name, drainMs: result.drainMs, budgetSeconds: budget, client: client !== undefined });
          t.diagnostic(`drained in ${(result.drainMs / 1000).toFixed(2)} s of a ${budget} s budget${client ? " (one NFS client connected)" : ""}`);
          assert.equal(result.killed, false, `still running ${budget} s after SIGTERM; log:\n${tail(server.log())}`);
          assert.deepEqual({ code: result.code, signal: result.signal }, { code: 0, signal: null }, tail(server.log()));
        } finally {
          client?.destroy();
        }
      });

      it("wrote nothing outside its volumes (the container's root filesystem is read-only)", () => {
        const readOnly = (session.container as { securityContext?: { readOnlyRootFilesystem?: boolean } }).securityContext?.readOnlyRootFilesystem;
        const written = [join(dir, "home"), ...session.launch.dirsOutsideVolumes].flatMap((d) => filesUnder(d));
        assert.deepEqual(written, [], `files written outside any volume${readOnly ? " would fail on the read-only root filesystem" : " are lost at restart"}`);
      });
    });
  });
});

/** Every file below `dir` (recursively), as paths; empty for a missing directory. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name));
}

function initContainersOf(c: { manifest: Record<string, unknown> }): boolean {
  return (c.manifest.spec as { percona?: { enabled?: boolean } }).percona?.enabled === true;
}

/** Runs an init container's command on this machine with exactly its env (plus PATH). */
function runCommand(command: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") reject(new Error(`${command}: ${err.message}`));
      else resolve({ code: typeof err?.code === "number" ? err.code : 0, output: `${stdout}${stderr}` });
    });
  });
}

/** The file `logging.output` names, or undefined for stdout/stderr. */
function logFileOf(manifest: Record<string, unknown>): string | undefined {
  const output = (manifest.spec as { logging?: { output?: string } }).logging?.output;
  return output?.startsWith("/") ? output : undefined;
}

function isMtlsCase(manifest: Record<string, unknown>): boolean {
  return (manifest.spec as { controlPlane?: { clientCASecretName?: string } }).controlPlane?.clientCASecretName !== undefined;
}

function hasMetrics(manifest: Record<string, unknown>): boolean {
  return (manifest.spec as { metrics?: { enabled?: boolean } }).metrics?.enabled === true;
}

function hasIdentityProvider(manifest: Record<string, unknown>): boolean {
  const identity = (manifest.spec as { identity?: { ldap?: { enabled?: boolean }; kerberos?: { enabled?: boolean } } }).identity;
  return identity?.ldap?.enabled === true || identity?.kerberos?.enabled === true;
}
