/**
 * Data for the Secrets a DittoServer references: what a user (or the Percona operator) would have put there.
 * Values are chosen per consumed purpose (as listed by the builders' `referencedSecrets`), so a new reference
 * in the builders fails loudly here instead of being silently skipped.
 */
import { randomBytes } from "node:crypto";
import type { TestPki } from "./certs.ts";
import type { Database } from "./postgres.ts";

/** Big-endian helpers for the MIT keytab format (version 0x0502). */
function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
function counted(text: string | Buffer): Buffer {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  return Buffer.concat([u16(bytes.length), bytes]);
}

/** AES256-CTS-HMAC-SHA1-96, the enctype every current KDC issues; the key itself is random (never used to decrypt). */
const ENCTYPE_AES256 = 18;
const KRB5_NT_PRINCIPAL = 1;

/**
 * A structurally valid keytab holding one random key for `principal` (`svc/host@REALM`). The server parses it
 * at start-up; no KDC is involved in these tests.
 */
export function keytab(principal: string): Buffer {
  const [name, realm] = principal.split("@");
  if (!name || !realm) throw new Error(`principal needs name@REALM: ${principal}`);
  const entry = Buffer.concat([
    u16(name.split("/").length),
    counted(realm),
    ...name.split("/").map((c) => counted(c)),
    u32(KRB5_NT_PRINCIPAL),
    u32(Math.floor(Date.now() / 1000)),
    Buffer.from([1]), // kvno (8 bit)
    u16(ENCTYPE_AES256),
    counted(randomBytes(32)),
    u32(1), // kvno (32 bit)
  ]);
  return Buffer.concat([Buffer.from([0x05, 0x02]), u32(entry.length), entry]);
}

export function krb5Conf(realm: string): string {
  return `[libdefaults]\n  default_realm = ${realm}\n[realms]\n  ${realm} = {\n    kdc = 127.0.0.1:1\n  }\n`;
}

/** What the test environment offers to fill Secrets with. */
export interface FixtureResources {
  pki: TestPki;
  /** Database for `postgres.*` purposes; undefined when the case runs without PostgreSQL. */
  database?: Database;
  /** The Kerberos service principal of the case (for the keytab). */
  kerberosPrincipal?: string;
  /** sslmode a user's external Secret carries (omitted = key absent). */
  postgresSslmode?: string;
}

const random = (bytes: number): string => randomBytes(bytes).toString("base64url");

/** The value a user would store for one consumed purpose. */
export function userValue(purpose: string, resources: FixtureResources): string | Buffer | undefined {
  const db = resources.database;
  switch (purpose) {
    case "jwt":
      return random(40);
    case "admin.password":
      return random(18);
    case "ldap.bindPassword":
    case "kerberos.machineAccount.secret":
    case "metrics.bearerToken":
      return random(24);
    case "controlPlane.tls":
      return undefined; // a kubernetes.io/tls Secret: see tlsSecretData
    case "controlPlane.clientCA":
    case "ldap.caCert":
      return resources.pki.ca.cert;
    case "kerberos.keytab":
    case "kerberos.machineAccount.keytab":
      return keytab(resources.kerberosPrincipal ?? "nfs/files.example.com@EXAMPLE.COM");
    case "kerberos.krb5Conf":
      return krb5Conf((resources.kerberosPrincipal ?? "@EXAMPLE.COM").split("@")[1] ?? "EXAMPLE.COM");
    case "postgres.host":
      return db?.host;
    case "postgres.port":
      return db ? String(db.port) : undefined;
    case "postgres.database":
      return db?.name;
    case "postgres.user":
      return db?.user;
    case "postgres.password":
      return db?.password;
    case "postgres.sslmode":
      return resources.postgresSslmode;
    default:
      throw new Error(`no fixture value for Secret purpose "${purpose}": teach test/contract/fixtures.ts about it`);
  }
}

export function tlsSecretData(pki: TestPki): Record<string, string> {
  return { "tls.crt": pki.server.cert, "tls.key": pki.server.key };
}

/**
 * The Secret the Percona operator writes for user `dittofs` (`<cluster>-pguser-dittofs`): every key it has,
 * including `uri`, which DittoFS must not need.
 */
export function perconaUserSecretData(db: Database): Record<string, string> {
  const uri = `postgresql://${db.user}:${encodeURIComponent(db.password)}@${db.host}:${db.port}/${db.name}`;
  return { host: db.host, port: String(db.port), dbname: db.name, user: db.user, password: db.password, uri };
}
