/**
 * Renders the DittoFS v0.29.0 `config.yaml` and its ConfigMap. Only keys the server knows are written, in a
 * fixed order, so equal specs give byte-identical files (and so equal hashes). No Secret value ever goes into
 * the file: credentials reach the pod as env `secretKeyRef`s or mounted Secret files whose paths the file names.
 */
import { stringify } from "yaml";
import { DEFAULTS } from "../api/defaults.ts";
import { apiRequiresClientCert, apiServesHttps, effectiveDatabase } from "../api/derived.ts";
import type { DittoServer } from "../api/types.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { canonicalGoDuration } from "./duration.ts";
import { childMetadata, COMPONENTS } from "./labels.ts";
import { childNames, CONFIG_KEY, PATHS } from "./names.ts";

/**
 * sslmode used with the Percona cluster: its PostgreSQL always serves TLS with certificates from its own CA,
 * so `require` encrypts without needing that CA in our pod (verification would need `ssl_root_cert`).
 */
export const PERCONA_SSLMODE = "require";

type Yaml = Record<string, unknown>;

/** Go duration in canonical form (`15m` → `15m0s`); the CRD pattern guarantees it parses. */
function goDuration(text: string): string {
  const parsed = canonicalGoDuration(text);
  return parsed.ok ? parsed.value : text;
}

/** Drops keys whose value is undefined, keeping the order of the others. */
function compact(object: Yaml): Yaml {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));
}

function loggingBlock(server: DittoServer): Yaml {
  const logging = server.spec.logging;
  return {
    level: logging?.level ?? DEFAULTS.logging.level,
    format: logging?.format ?? DEFAULTS.logging.format,
    output: logging?.output ?? DEFAULTS.logging.output,
  };
}

function databaseBlock(server: DittoServer): Yaml {
  const database = effectiveDatabase(server.spec);
  if (database.type === "sqlite") return { type: "sqlite", sqlite: { path: database.path } };
  // Host, port, database, user, password (and sslmode of an external server) arrive as DITTOFS_DATABASE_* env.
  if (database.source === "percona") return { type: "postgres", postgres: { sslmode: PERCONA_SSLMODE } };
  return { type: "postgres" };
}

function controlPlaneBlock(server: DittoServer): Yaml {
  const spec = server.spec;
  const jwt = spec.identity?.jwt;
  const block: Yaml = {
    // The server binds 127.0.0.1 by default: probes and Services could not reach it.
    host: "0.0.0.0",
    port: spec.controlPlane.port,
    jwt: {
      access_token_duration: goDuration(jwt?.accessTokenDuration ?? DEFAULTS.identity.jwt.accessTokenDuration),
      refresh_token_duration: goDuration(jwt?.refreshTokenDuration ?? DEFAULTS.identity.jwt.refreshTokenDuration),
    },
  };
  if (apiServesHttps(spec)) {
    block.tls = compact({
      cert_file: PATHS.tlsCert,
      key_file: PATHS.tlsKey,
      client_ca: apiRequiresClientCert(spec) ? PATHS.tlsClientCA : undefined,
    });
  }
  return block;
}

function metricsBlock(server: DittoServer): Yaml | undefined {
  const metrics = server.spec.metrics;
  if (!metrics?.enabled) return undefined;
  const token = metrics.bearerTokenSecret !== undefined;
  return compact({
    enabled: true,
    host: "0.0.0.0",
    port: metrics.port,
    path: metrics.path,
    auth: token ? "token" : "none",
    token_file: token ? PATHS.metricsToken : undefined,
  });
}

function ldapBlock(server: DittoServer): Yaml | undefined {
  const ldap = server.spec.identity?.ldap;
  if (!ldap?.enabled) return undefined;
  const caFile = ldap.caCertSecretRef ? PATHS.ldapCA : ldap.caCertFile;
  const tls = compact({ ca_cert_file: caFile, insecure_skip_verify: ldap.insecureSkipVerify });
  // The bind password comes from DITTOFS_LDAP_BIND_PASSWORD.
  return compact({
    enabled: true,
    url: ldap.url,
    start_tls: ldap.startTLS,
    allow_plaintext: ldap.allowPlaintext,
    base_dn: ldap.baseDN,
    bind_dn: ldap.bindDN,
    user_attr: ldap.userAttr,
    realm: ldap.realm,
    idmap: ldap.idmap,
    nested_groups: ldap.nestedGroups,
    tls: Object.keys(tls).length > 0 ? tls : undefined,
  });
}

function kerberosBlock(server: DittoServer): Yaml | undefined {
  const kerberos = server.spec.identity?.kerberos;
  if (!kerberos?.enabled) return undefined;
  const machine = kerberos.machineAccount;
  const krb5 = kerberos.krb5ConfSecretRef ? PATHS.kerberosKrb5 : kerberos.krb5Conf;
  return compact({
    enabled: true,
    keytab_path: kerberos.keytabSecretRef ? PATHS.kerberosKeytab : undefined,
    service_principal: kerberos.servicePrincipal,
    realm: kerberos.realm,
    netbios_domain: kerberos.netbiosDomain,
    dns_domain: kerberos.dnsDomain,
    krb5_conf: krb5,
    // The machine account password comes from DITTOFS_KERBEROS_MACHINE_ACCOUNT_SECRET.
    machine_account: machine?.enabled
      ? compact({
          enabled: true,
          account_name: machine.accountName,
          keytab_path: machine.keytabSecretRef ? PATHS.kerberosMachineKeytab : undefined,
          dc_address: machine.dcAddress && machine.dcAddress.length > 0 ? [...machine.dcAddress] : undefined,
        })
      : undefined,
  });
}

/** The server's configuration as a plain object, keys in the order they are written. */
export function configObject(server: DittoServer): Yaml {
  return compact({
    logging: loggingBlock(server),
    shutdown_timeout: goDuration(server.spec.shutdownTimeout),
    database: databaseBlock(server),
    controlplane: controlPlaneBlock(server),
    metrics: metricsBlock(server),
    ldap: ldapBlock(server),
    kerberos: kerberosBlock(server),
  });
}

/** The `config.yaml` text: 2-space YAML, no line folding, deterministic. */
export function renderConfig(server: DittoServer): string {
  return stringify(configObject(server), { indent: 2, lineWidth: 0 });
}

/** The ConfigMap `<name>-config` holding `config.yaml`. */
export function desiredConfigMap(server: DittoServer, config: string = renderConfig(server)): KubeObject {
  const name = childNames(server.metadata.name ?? "").configMap;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: childMetadata(server, name, COMPONENTS.config),
    data: { [CONFIG_KEY]: config },
  };
}

/** True when the observed ConfigMap holds a different `config.yaml` than the rendered one (absent = changed). */
export function configDataChanged(observed: KubeObject | undefined, rendered: string): boolean {
  const data = observed?.data as Record<string, string | undefined> | undefined;
  return data?.[CONFIG_KEY] !== rendered;
}
