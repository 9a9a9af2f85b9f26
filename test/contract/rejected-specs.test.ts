/**
 * Specs the CRD rejects, run anyway on the real dfs to show why the rule exists: each one makes the server exit
 * at start-up. If a future dfs starts them fine, the rule can be relaxed. The rejection itself (message and field)
 * is checked on the real API server by test/integration/api/validation.test.ts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makePki } from "./certs.ts";
import type { TestPki } from "./certs.ts";
import { dfsBinary } from "./dfs.ts";
import { defaulted, renderPod } from "./render.ts";
import { openSession } from "./session.ts";
import type { Session } from "./session.ts";

interface RejectedSpec {
  name: string;
  spec: Record<string, unknown>;
  /** The CRD rule that refuses the spec (for the reader; the integration test checks it). */
  rule: string;
  /** What dfs says when it exits. */
  exit: RegExp;
  kerberosPrincipal?: string;
}

const PRINCIPAL = "nfs/files.example.com@EXAMPLE.COM";

const REJECTED_SPECS: RejectedSpec[] = [
  {
    name: "kerberos without krb5Conf or krb5ConfSecretRef",
    spec: { identity: { kerberos: { enabled: true, servicePrincipal: PRINCIPAL, keytabSecretRef: { name: "krb", key: "keytab" } } } },
    rule: "kerberos.enabled requires krb5ConfSecretRef or krb5Conf",
    exit: /krb5\.conf/,
    kerberosPrincipal: PRINCIPAL,
  },
  {
    name: "log file outside the control-plane volume",
    spec: { logging: { output: "/var/log/dittofs/dittofs.log" } },
    rule: "logging.output must be stdout, stderr or a file path under /data/controlplane/",
    exit: /failed to initialize logger/,
  },
];

describe("specs the CRD rejects make the real dfs exit at start-up", () => {
  let binary = "";
  let work = "";
  let pki: TestPki;
  const sessions: Session[] = [];

  before(async () => {
    binary = await dfsBinary();
    work = mkdtempSync(join(tmpdir(), "dittofs-contract-rejected-"));
    pki = makePki(join(work, "pki"));
  });

  after(async () => {
    for (const session of sessions) await session.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  REJECTED_SPECS.forEach((c, index) => {
    it(`${c.name} (rule: ${c.rule})`, async () => {
      const server = defaulted({ metadata: { name: `rejected-${index}` }, spec: { storage: { metadataSize: "1Gi" }, ...c.spec } });
      const session = await openSession(renderPod(server, { pki, kerberosPrincipal: c.kerberosPrincipal }), binary, join(work, `case-${index}`), pki);
      sessions.push(session);
      await assert.rejects(session.start(), (err: Error) => {
        assert.match(err.message, /dfs exited/, err.message);
        assert.match(err.message, c.exit, err.message);
        return true;
      });
    });
  });
});
