import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { describe, it } from "node:test";
import { selfSignedCertificate, unsignedInteger } from "../../../src/runtime/serving-cert.ts";

describe("selfSignedCertificate", () => {
  const now = Date.UTC(2026, 11, 4, 12, 0, 0);
  const { cert, key } = selfSignedCertificate({ commonName: "metrics", altNames: ["localhost", "op-7d9f", "127.0.0.1", "::1", "fd00::10:1"], now });
  const x509 = new X509Certificate(cert);

  it("is a valid X.509 certificate signed by its own key, matching the private key", () => {
    assert.equal(x509.subject, "CN=metrics");
    assert.equal(x509.issuer, "CN=metrics");
    assert.ok(x509.verify(x509.publicKey), "self-signature verifies");
    assert.ok(x509.checkPrivateKey(createPrivateKey(key)));
    assert.equal(x509.ca, false);
    assert.deepEqual(x509.keyUsage, ["1.3.6.1.5.5.7.3.1"], "extended key usage serverAuth");
  });

  it("names every DNS name and IP address it is for", () => {
    assert.equal(x509.subjectAltName, "DNS:localhost, DNS:op-7d9f, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:FD00:0:0:0:0:0:10:1");
    assert.equal(x509.checkHost("op-7d9f"), "op-7d9f");
    assert.equal(x509.checkIP("127.0.0.1"), "127.0.0.1");
    assert.equal(x509.checkHost("elsewhere"), undefined);
  });

  it("is valid from an hour before now for a year (GeneralizedTime from 2050 on)", () => {
    assert.equal(new Date(x509.validFrom).getTime(), now - 3_600_000);
    assert.equal(new Date(x509.validTo).getTime(), now + 365 * 24 * 3_600_000);
    const late = new X509Certificate(selfSignedCertificate({ commonName: "m", altNames: ["localhost"], now: Date.UTC(2049, 11, 31, 0, 0, 0) }).cert);
    assert.equal(new Date(late.validTo).getTime(), Date.UTC(2050, 11, 31, 0, 0, 0));
  });

  it("gets a fresh key and serial each time", () => {
    const other = new X509Certificate(selfSignedCertificate({ commonName: "metrics", altNames: ["localhost"], now }).cert);
    assert.notEqual(other.serialNumber, x509.serialNumber);
    assert.notEqual(other.fingerprint256, x509.fingerprint256);
  });

  // A random serial whose first octet is 0 once made OpenSSL refuse the certificate ("illegal padding"), 1 run in ~500.
  it("encodes serials in DER's minimal form, whatever their leading octets", () => {
    const hex = (b: Buffer): string => b.toString("hex");
    assert.equal(hex(unsignedInteger(Buffer.from([0x00, 0x00, 0x12, 0x34]))), "02021234");
    assert.equal(hex(unsignedInteger(Buffer.from([0x00, 0x92]))), "02020092");
    assert.equal(hex(unsignedInteger(Buffer.from([0x92]))), "02020092");
    assert.equal(hex(unsignedInteger(Buffer.from([0x00, 0x00]))), "020100");
  });
});
