/**
 * Per-run PKI made with the openssl CLI (Node's crypto can parse certificates but not sign them): a CA, the
 * apiserver serving certificate, the admin client certificate and the service-account signing key pair.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface Pki {
  caCertPath: string;
  caKeyPath: string;
  apiserverCertPath: string;
  apiserverKeyPath: string;
  adminCertPath: string;
  adminKeyPath: string;
  /** Service-account token signing key (private) and its public half for the apiserver's verifier. */
  serviceAccountKeyPath: string;
  serviceAccountPubPath: string;
}

export interface ClientCertificate {
  certPath: string;
  keyPath: string;
}

const VALID_DAYS = 7;

// Extension sections for every certificate we make. An own config keeps results independent of the machine's
// openssl.cnf defaults.
function opensslConfig(serverAltNames: string[]): string {
  return [
    "[req]",
    "distinguished_name = dn",
    "[dn]",
    "[ca_ext]",
    "basicConstraints = critical, CA:TRUE",
    "keyUsage = critical, keyCertSign, cRLSign, digitalSignature",
    "subjectKeyIdentifier = hash",
    "[server_ext]",
    "basicConstraints = critical, CA:FALSE",
    "keyUsage = critical, digitalSignature, keyEncipherment",
    "extendedKeyUsage = serverAuth",
    `subjectAltName = ${serverAltNames.join(", ") || "DNS:localhost"}`,
    "[client_ext]",
    "basicConstraints = critical, CA:FALSE",
    "keyUsage = critical, digitalSignature, keyEncipherment",
    "extendedKeyUsage = clientAuth",
    "",
  ].join("\n");
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync("openssl", args);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new Error("the openssl command is not installed (Debian package: openssl)");
    throw new Error(`openssl ${args[0] ?? ""} failed: ${e.stderr ?? e.message}`);
  }
}

/** `/O=g1/O=g2/CN=name`: Kubernetes reads the user from CN and the groups from O. */
function subject(commonName: string, organizations: string[]): string {
  for (const part of [commonName, ...organizations]) {
    if (part === "" || /[/\\+=,\n]/.test(part)) {
      throw new Error(`certificate subject part ${JSON.stringify(part)} must be non-empty without / \\ + = , or newlines`);
    }
  }
  return organizations.map((o) => `/O=${o}`).join("") + `/CN=${commonName}`;
}

function serial(): string {
  // Random serials: concurrent signers need no shared serial file.
  return `0x${randomBytes(16).toString("hex").replace(/^[89a-f]/, "1")}`;
}

async function issue(opts: {
  dir: string;
  name: string;
  subject: string;
  extension: "server_ext" | "client_ext";
  configPath: string;
  caCertPath: string;
  caKeyPath: string;
}): Promise<ClientCertificate> {
  const keyPath = join(opts.dir, `${opts.name}.key`);
  const csrPath = join(opts.dir, `${opts.name}.csr`);
  const certPath = join(opts.dir, `${opts.name}.crt`);
  await openssl([
    "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-config", opts.configPath, "-keyout", keyPath, "-out", csrPath, "-subj", opts.subject,
  ]);
  await openssl([
    "x509", "-req", "-in", csrPath, "-CA", opts.caCertPath, "-CAkey", opts.caKeyPath, "-set_serial", serial(),
    "-days", String(VALID_DAYS), "-sha256", "-extfile", opts.configPath, "-extensions", opts.extension, "-out", certPath,
  ]);
  return { certPath, keyPath };
}

export async function createPki(dir: string, serverAltNames: string[]): Promise<Pki> {
  const configPath = join(dir, "openssl.cnf");
  await writeFile(configPath, opensslConfig(serverAltNames));
  const caCertPath = join(dir, "ca.crt");
  const caKeyPath = join(dir, "ca.key");
  await openssl([
    "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-config", configPath, "-extensions", "ca_ext", "-keyout", caKeyPath, "-out", caCertPath,
    "-subj", "/CN=dittofs-operator-test-ca", "-days", String(VALID_DAYS), "-sha256",
  ]);
  const common = { dir, configPath, caCertPath, caKeyPath };
  const serviceAccountKeyPath = join(dir, "sa.key");
  const serviceAccountPubPath = join(dir, "sa.pub");
  const [server, admin] = await Promise.all([
    issue({ ...common, name: "apiserver", subject: subject("kube-apiserver", []), extension: "server_ext" }),
    issue({ ...common, name: "admin", subject: subject("admin", ["system:masters"]), extension: "client_ext" }),
    (async () => {
      // RSA: what every service-account token verifier accepts (RS256).
      await openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", serviceAccountKeyPath]);
      await openssl(["pkey", "-in", serviceAccountKeyPath, "-pubout", "-out", serviceAccountPubPath]);
    })(),
  ]);
  return {
    caCertPath,
    caKeyPath,
    apiserverCertPath: server.certPath,
    apiserverKeyPath: server.keyPath,
    adminCertPath: admin.certPath,
    adminKeyPath: admin.keyPath,
    serviceAccountKeyPath,
    serviceAccountPubPath,
  };
}

/**
 * Signs a client certificate with the cluster CA: the apiserver authenticates it as user `commonName` in
 * `groups`. Files `<name>.crt` / `<name>.key` are written to `dir`.
 */
export async function signClientCertificate(opts: {
  caCertPath: string;
  caKeyPath: string;
  dir: string;
  commonName: string;
  groups?: string[];
  name?: string;
}): Promise<ClientCertificate> {
  const name = opts.name ?? opts.commonName.replace(/[^A-Za-z0-9._-]/g, "_");
  const configPath = join(opts.dir, `${name}.cnf`);
  await writeFile(configPath, opensslConfig([]));
  return issue({
    dir: opts.dir,
    name,
    subject: subject(opts.commonName, opts.groups ?? []),
    extension: "client_ext",
    configPath,
    caCertPath: opts.caCertPath,
    caKeyPath: opts.caKeyPath,
  });
}
