/**
 * The DittoServers the contract suite renders and runs: every shipped sample, plus a matrix of specs covering
 * each way the builders change the pod (database, TLS, metrics, identity providers, timings, ports).
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

export interface ContractCase {
  name: string;
  /** Where it comes from: a sample file or the matrix. */
  origin: string;
  manifest: Record<string, unknown>;
  /** sslmode stored in a user's external PostgreSQL Secret (absent = key missing from the Secret). */
  postgresSslmode?: string;
  /** Keep an NFS client connection open across SIGTERM, so the drain takes the adapter's full timeout. */
  holdClientDuringDrain?: boolean;
  /** A spec the API accepts but dfs does not run: reported as a todo suite until the operator side is fixed. */
  knownDrift?: string;
}

const SAMPLES_DIR = fileURLToPath(new URL("../../deploy/samples/", import.meta.url));

export function sampleCases(): ContractCase[] {
  const files = readdirSync(SAMPLES_DIR).filter((f) => f.endsWith(".yaml")).sort();
  if (files.length === 0) throw new Error(`no samples in ${SAMPLES_DIR}`);
  const cases: ContractCase[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(join(SAMPLES_DIR, file), "utf8"))) {
      if (!("toJS" in doc)) throw new Error(`${file}: more documents than parse`);
      const manifest = doc.toJS() as Record<string, unknown> | null;
      if (!manifest || manifest.kind !== "DittoServer") continue;
      const name = (manifest.metadata as { name?: string } | undefined)?.name ?? file;
      cases.push({ name: `sample ${file}`, origin: `deploy/samples/${file}`, manifest: { ...manifest, metadata: { name } } });
    }
  }
  return cases;
}

function server(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: "dittofs.dittofs.com/v1alpha1",
    kind: "DittoServer",
    metadata: { name },
    spec: { storage: { metadataSize: "1Gi" }, ...spec },
  };
}

export function matrixCases(): ContractCase[] {
  const m = (name: string, spec: Record<string, unknown>, extra: Partial<ContractCase> = {}): ContractCase => ({
    name: `matrix ${name}`,
    origin: "matrix",
    manifest: server(name, spec),
    ...extra,
  });
  return [
    m("sqlite-custom-path", { database: { type: "sqlite", sqlite: { path: "/data/controlplane/db/dittofs.db" } } }),
    m("postgres-secret", { database: { postgresSecretRef: { name: "pg" } } }, { postgresSslmode: "require" }),
    m(
      "postgres-secret-keys",
      {
        database: {
          type: "postgres",
          postgresSecretRef: {
            name: "pg-renamed",
            keys: { host: "PGHOST", port: "PGPORT", database: "PGDATABASE", user: "PGUSER", password: "PGPASSWORD", sslmode: "PGSSLMODE" },
          },
        },
      },
      // No sslmode key in the Secret: the server's default applies.
    ),
    m("percona-only", { percona: { enabled: true } }),
    m("tls", { controlPlane: { certSecretName: "api-cert" } }),
    m("mtls", { controlPlane: { tls: true, certSecretName: "api-cert", clientCASecretName: "api-client-ca" } }),
    m("metrics-open", { metrics: { enabled: true, port: 9464, path: "/prom" } }),
    m("metrics-token", { metrics: { enabled: true, bearerTokenSecret: { name: "scrape", key: "token" } } }),
    m("ldap-starttls", {
      identity: {
        ldap: {
          enabled: true,
          url: "ldap://ldap.example.com:389",
          startTLS: true,
          baseDN: "dc=example,dc=com",
          bindDN: "cn=dittofs,dc=example,dc=com",
          bindPasswordSecretRef: { name: "ldap-bind", key: "password" },
          realm: "EXAMPLE.COM",
          idmap: "rid",
          insecureSkipVerify: true,
        },
      },
    }),
    m("kerberos", {
      identity: {
        kerberos: {
          enabled: true,
          servicePrincipal: "nfs/files.example.com@EXAMPLE.COM",
          netbiosDomain: "EXAMPLE",
          keytabSecretRef: { name: "krb", key: "keytab" },
          krb5ConfSecretRef: { name: "krb", key: "krb5.conf" },
          machineAccount: { enabled: true, accountName: "DITTOFS$", secretRef: { name: "krb-machine", key: "password" }, dcAddress: ["dc1.example.com"] },
        },
      },
    }),
    m("ldap-private-ca", {
      identity: {
        ldap: {
          enabled: true,
          url: "ldaps://ldap.example.com:636",
          baseDN: "dc=example,dc=com",
          bindDN: "cn=dittofs,dc=example,dc=com",
          bindPasswordSecretRef: { name: "ldap-bind", key: "password" },
          caCertSecretRef: { name: "ldap-ca" },
        },
      },
    }),
    m("log-file-on-volume", { logging: { output: "/data/controlplane/log/dittofs.log" } }),
    m("timings-and-port", {
      controlPlane: { port: 18080 },
      shutdownTimeout: "10s",
      identity: { jwt: { accessTokenDuration: "1h30m", refreshTokenDuration: "24h" } },
      logging: { level: "DEBUG", format: "text", output: "stderr" },
    }, { holdClientDuringDrain: true }),
    // Named like the env prefix: its Service dittofs-metrics would inject DITTOFS_METRICS_PORT through service links.
    m("dittofs", { metrics: { enabled: true } }),
    m("grace-period-explicit", { shutdownTimeout: "5s", terminationGracePeriodSeconds: 120 }, { holdClientDuringDrain: true }),
  ];
}

export function allCases(): ContractCase[] {
  return [...sampleCases(), ...matrixCases()];
}

/** The Kerberos service principal a case configures, for its keytab. */
export function kerberosPrincipal(manifest: Record<string, unknown>): string | undefined {
  const spec = manifest.spec as { identity?: { kerberos?: { servicePrincipal?: string } } } | undefined;
  return spec?.identity?.kerberos?.servicePrincipal;
}
