/**
 * Test PKI made with the `openssl` CLI: a CA, a server certificate for the API (valid for the loopback address
 * the tests dial) and a client certificate for mutual TLS. EC P-256 keeps generation fast.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestPki {
  ca: KeyPair;
  server: KeyPair;
  client: KeyPair;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

function newKey(dir: string, name: string): void {
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`], dir);
}

function signed(dir: string, name: string, subject: string, extensions: string): KeyPair {
  newKey(dir, name);
  openssl(["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(
    ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-sha256", "-extfile", `${name}.ext`, "-out", `${name}.crt`],
    dir,
  );
  return { cert: readFileSync(join(dir, `${name}.crt`), "utf8"), key: readFileSync(join(dir, `${name}.key`), "utf8") };
}

/** Writes the PKI under `dir` and returns the PEM texts. `serverNames` go into the server certificate's SAN. */
export function makePki(dir: string, serverNames: string[] = ["localhost"]): TestPki {
  mkdirSync(dir, { recursive: true });
  newKey(dir, "ca");
  openssl(["req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=dittofs-contract-test-ca", "-days", "2", "-sha256", "-out", "ca.crt"], dir);
  const ca = { cert: readFileSync(join(dir, "ca.crt"), "utf8"), key: readFileSync(join(dir, "ca.key"), "utf8") };
  const san = ["IP:127.0.0.1", ...serverNames.map((n) => `DNS:${n}`)].join(",");
  const server = signed(dir, "server", "/CN=dittofs-api", `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  const client = signed(dir, "client", "/CN=dittofs-contract-client", "extendedKeyUsage=clientAuth\n");
  return { ca, server, client };
}
