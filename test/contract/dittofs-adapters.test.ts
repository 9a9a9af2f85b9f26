/**
 * What the operator reads and writes through the DittoFS API on the real dfs v0.29.0: the adapter list under dfsctl
 * changes (SMB off, NFS moved, portmapper on, a port that cannot bind) turned into Services and readiness, and
 * snapshot policies applied, with drift made by dfsctl reverted and only the operator's own policies removed.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { Server } from "node:net";
import { after, before, describe, it } from "node:test";
import type { SnapshotPolicySpec, SnapshotPolicyStatus } from "../../src/api/types.ts";
import { ensureAccount } from "../../src/dittofs/account.ts";
import type { DittoFsClient } from "../../src/dittofs/client.ts";
import { adapterServicePorts, desiredAdapterServices, serving } from "../../src/dittoserver/adapters.ts";
import type { PolicyOutcome, PolicyRetries } from "../../src/dittoserver/snapshot-policies.ts";
import { syncSnapshotPolicies } from "../../src/dittoserver/snapshot-policy-sync.ts";
import { allocatePorts } from "../controlplane/ports.ts";
import { defaulted } from "./render.ts";
import { manifest, openLab, rejected } from "./dittofs-lab.ts";
import type { Booted, Lab } from "./dittofs-lab.ts";

describe("adapters and snapshot policies through the DittoFS API of dfs v0.29.0", () => {
  let lab: Lab;
  before(async () => {
    lab = await openLab("adapters", []);
  });
  after(async () => {
    await lab?.close();
  });

  describe("adapters", () => {
    let s: Booted;
    let token = "";
    before(async () => {
      s = await lab.boot("adapters");
      const result = await ensureAccount(s.client, { account: undefined, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "adapters-password" });
      assert.equal(result.kind, "authenticated", JSON.stringify(result));
      token = result.kind === "authenticated" ? result.token : "";
    });

    async function untilAdapters(what: string, check: (list: Awaited<ReturnType<DittoFsClient["listAdapters"]>>) => boolean) {
      let last: unknown;
      for (let attempt = 0; attempt < 40; attempt++) {
        const list = await s.client.listAdapters(token);
        if (check(list)) return list;
        last = list;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.fail(`${what}: adapter list stayed ${JSON.stringify(last)}`);
    }

    it("lists NFS and SMB running and healthy on the ports they were moved to; the server is serving", async () => {
      const list = await untilAdapters("both healthy", (l) => l.length === 2 && l.every((a) => a.running && a.health.status === "healthy"));
      assert.deepEqual(list.map((a) => a.type).sort(), ["nfs", "smb"]);
      const liveness = await s.client.health();
      assert.deepEqual(liveness, { status: "healthy", controlPlaneDb: "reachable" });
      assert.equal(serving(list, liveness).serving, true, JSON.stringify(list));
    });

    it("SMB disabled with dfsctl: listed as disabled and not running, and its Service is no longer desired", async () => {
      await s.dfsctl("adapter", "disable", "smb");
      const list = await untilAdapters("smb disabled", (l) => l.some((a) => a.type === "smb" && !a.enabled && !a.running));
      const server = defaulted(manifest("adapters"));
      assert.deepEqual(desiredAdapterServices(server, list, undefined).map((o) => o.metadata.name), ["adapters-adapter-nfs"]);
      assert.equal(serving(list).serving, true, "a disabled adapter does not make the server unready");
    });

    it("NFS moved with dfsctl: the listed port, and so the Service port, follow", async () => {
      const lease = await allocatePorts(1);
      try {
        await s.dfsctl("adapter", "edit", "nfs", "--port", String(lease.ports[0]));
        const list = await untilAdapters("nfs moved", (l) => l.some((a) => a.type === "nfs" && a.port === lease.ports[0] && a.running && a.health.status === "healthy"));
        const nfs = list.find((a) => a.type === "nfs")!;
        assert.deepEqual(adapterServicePorts(nfs, undefined)[0], { name: "adapter-nfs", port: lease.ports[0], targetPort: lease.ports[0], protocol: "TCP" });
      } finally {
        lease.release();
      }
    });

    it("portmapper enabled through the API: the NFS settings say so, and the Service maps 111 to its port", async () => {
      const lease = await allocatePorts(1);
      try {
        const patched = await s.client.patchNfsSettings(token, { portmapper_enabled: true, portmapper_port: lease.ports[0]! });
        assert.deepEqual(patched, { portmapperEnabled: true, portmapperPort: lease.ports[0] });
        const settings = await s.client.nfsSettings(token);
        assert.deepEqual(settings, patched);
        const nfs = (await s.client.listAdapters(token)).find((a) => a.type === "nfs")!;
        const portmap = adapterServicePorts(nfs, settings).filter((p) => p.name.startsWith("portmap"));
        assert.deepEqual(portmap.map((p) => `${p.port}->${p.targetPort}/${p.protocol}`), [`111->${lease.ports[0]}/TCP`, `111->${lease.ports[0]}/UDP`]);
      } finally {
        lease.release();
      }
    });

    it("an adapter whose port is taken is reported unhealthy with the server's message, and the server is not serving", async () => {
      const lease = await allocatePorts(1);
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(lease.ports[0], "0.0.0.0", resolve));
      try {
        await s.dfsctl("adapter", "edit", "nfs", "--port", String(lease.ports[0]));
        const list = await untilAdapters("nfs failing", (l) => l.some((a) => a.type === "nfs" && a.port === lease.ports[0] && a.health.status !== "healthy"));
        const verdict = serving(list);
        assert.equal(verdict.serving, false);
        if (verdict.serving) return;
        assert.equal(verdict.adapter, "nfs");
        const nfs = list.find((a) => a.type === "nfs")!;
        assert.ok(nfs.health.message.length > 0, `the server gives a reason: ${JSON.stringify(nfs)}`);
        assert.ok(verdict.message.includes(nfs.health.message), verdict.message);
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
        lease.release();
      }
    });
  });

  describe("snapshot policies", () => {
    let s: Booted;
    let token = "";
    let record: SnapshotPolicyStatus[] = [];
    let retries: PolicyRetries = {};
    before(async () => {
      s = await lab.boot("policies");
      const result = await ensureAccount(s.client, { account: undefined, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "policies-password" });
      assert.equal(result.kind, "authenticated", JSON.stringify(result));
      token = result.kind === "authenticated" ? result.token : "";
      await s.dfsctl("store", "metadata", "add", "--name", "meta", "--type", "memory");
      await s.dfsctl("store", "block", "local", "add", "--name", "local", "--type", "memory");
      for (const share of ["/export", "/archive", "/manual"]) await s.dfsctl("share", "create", "--name", share, "--metadata", "meta", "--local", "local");
    });

    /** One pass of the operator's policy sync step; what it wrote, as the server answered. */
    async function sync(desired: SnapshotPolicySpec[]): Promise<PolicyOutcome[]> {
      const result = await syncSnapshotPolicies(s.client, { token, desired, record, retries, now: Date.now() });
      if (result.error) throw result.error;
      record = result.record;
      retries = result.retries;
      return result.answered;
    }

    const spec: SnapshotPolicySpec[] = [
      { share: "/export", interval: "@daily", keepLast: 7 },
      { share: "archive", interval: "6h", ttl: "720h", namePrefix: "k8s", enabled: false },
    ];

    it("applies the spec; dfsctl shows the policies; a second pass makes no call", async () => {
      const first = await sync(spec);
      assert.deepEqual(first.map((o) => `${o.op} ${o.share} ${o.result}`), ["put /export ok", "put /archive ok"]);
      const shown = await s.dfsctl("share", "snapshot-policy", "show", "/archive", "-o", "json");
      assert.match(shown, /6h0m0s/);
      assert.match(shown, /"k8s"/);
      const archive = await s.client.getSnapshotPolicy(token, "/archive");
      assert.deepEqual(archive, { share: "/archive", interval: "6h0m0s", keepLast: 0, ttl: "720h0m0s", enabled: false, namePrefix: "k8s" });
      assert.deepEqual(await sync(spec), [], "in sync: nothing to write");
      assert.deepEqual(record, [{ share: "/archive", state: "Applied" }, { share: "/export", state: "Applied" }]);
    });

    it("drift made with dfsctl is reverted; a policy dfsctl made for another share is left alone", async () => {
      await s.dfsctl("share", "snapshot-policy", "set", "/export", "--interval", "1h", "--keep-last", "2");
      await s.dfsctl("share", "snapshot-policy", "set", "/manual", "--interval", "@weekly");
      assert.deepEqual((await sync(spec)).map((o) => `${o.op} ${o.share}`), ["put /export"]);
      const exported = await s.client.getSnapshotPolicy(token, "/export");
      assert.equal(exported.interval, "24h0m0s");
      assert.equal(exported.keepLast, 7);
      assert.ok((await s.client.listSnapshotPolicies(token)).some((p) => p.share === "/manual"));
    });

    it("a policy removed from the spec is deleted from the server; dfsctl's own policy stays", async () => {
      assert.deepEqual((await sync([spec[0]!])).map((o) => `${o.op} ${o.share}`), ["remove /archive"]);
      assert.equal((await rejected(s.client.getSnapshotPolicy(token, "/archive"))).kind, "notFound");
      assert.deepEqual((await s.client.listSnapshotPolicies(token)).map((p) => p.share).sort(), ["/export", "/manual"]);
      assert.deepEqual(record, [{ share: "/export", state: "Applied" }]);
    });

    it("a missing share answers 404, is recorded as ShareNotFound naming it, and is retried after a back-off or a spec change", async () => {
      const outcomes = await sync([...spec.slice(0, 1), { share: "/nowhere", interval: "1h" }]);
      assert.equal(outcomes.length, 1);
      assert.equal(outcomes[0]!.result, "shareNotFound");
      assert.deepEqual(record.find((e) => e.share === "/nowhere")?.state, "ShareNotFound");
      const err = await rejected(s.client.putSnapshotPolicy(token, "/nowhere", { interval: "1h" }));
      assert.equal(err.status, 404);
      assert.deepEqual(await sync([...spec.slice(0, 1), { share: "/nowhere", interval: "1h" }]), [], "retried after a back-off, not on the next poll");
      assert.equal(record.find((e) => e.share === "/nowhere")?.state, "ShareNotFound", "and still reported");
      await s.dfsctl("share", "create", "--name", "/nowhere", "--metadata", "meta", "--local", "local");
      const changed = await sync([...spec.slice(0, 1), { share: "/nowhere", interval: "2h" }]);
      assert.deepEqual(changed.map((o) => `${o.op} ${o.share} ${o.result}`), ["put /nowhere ok"], "a changed spec is tried at once");
      assert.equal((await s.client.getSnapshotPolicy(token, "/nowhere")).interval, "2h0m0s");
    });

    it("invalid values are rejected with the server's reason (400)", async () => {
      const err = await rejected(s.client.putSnapshotPolicy(token, "/export", { interval: "1h", ttl: "-5m" }));
      assert.equal(err.kind, "rejected");
      assert.match(err.message, /ttl/);
    });
  });
});
