import { test } from "node:test";
import assert from "node:assert/strict";
import { adapterPortName, adapterServiceName, adapterServicePorts, adapterStatuses, desiredAdapterServices, sanitizeAdapterType, serving } from "../../../src/dittoserver/adapters.ts";
import type { Adapter } from "../../../src/dittofs/wire.ts";
import { at, server } from "./fixtures.ts";

function adapter(type: string, port: number, changes: Partial<Adapter> = {}): Adapter {
  return { type, port, enabled: true, running: true, health: { status: "healthy", message: "" }, ...changes };
}

test("adapter names: <name>-adapter-<type>, port names within 15 characters (the reference's rule)", () => {
  assert.equal(adapterServiceName("fs1", "nfs"), "fs1-adapter-nfs");
  assert.equal(adapterServiceName("fs1", "My_Adapter"), "fs1-adapter-my-adapter");
  assert.equal(sanitizeAdapterType("--"), "unknown");
  assert.equal(adapterPortName("nfs"), "adapter-nfs");
  assert.equal(adapterPortName("smb"), "adapter-smb");
  const long = adapterPortName("custom-adapter-a");
  assert.equal(long.length, 15);
  assert.match(long, /^adapter-cu-[0-9a-f]{4}$/);
  assert.notEqual(long, adapterPortName("custom-adapter-b"), "types sharing a prefix get different names");
});

test("NFS Service: TCP and UDP on the adapter's port, no portmapper while it is off", () => {
  assert.deepEqual(adapterServicePorts({ type: "nfs", port: 2049 }, { portmapperEnabled: false, portmapperPort: 10111 }), [
    { name: "adapter-nfs", port: 2049, targetPort: 2049, protocol: "TCP" },
    { name: "adapter-nfs-udp", port: 2049, targetPort: 2049, protocol: "UDP" },
    { name: "mdns", port: 5353, targetPort: 5353, protocol: "UDP" },
  ]);
});

test("NFS Service with the portmapper on: 111 → the server's portmapper port, TCP and UDP", () => {
  const ports = adapterServicePorts({ type: "nfs", port: 12049 }, { portmapperEnabled: true, portmapperPort: 10111 });
  assert.deepEqual(ports.filter((p) => p.name.startsWith("portmap")), [
    { name: "portmap", port: 111, targetPort: 10111, protocol: "TCP" },
    { name: "portmap-udp", port: 111, targetPort: 10111, protocol: "UDP" },
  ]);
  const moved = adapterServicePorts({ type: "nfs", port: 12049 }, { portmapperEnabled: true, portmapperPort: 20111 });
  assert.equal(moved.find((p) => p.name === "portmap")?.targetPort, 20111, "target follows the server's setting, numeric");
});

test("SMB Service: its port, mDNS, WS-Discovery 3702/UDP and 5357/TCP", () => {
  assert.deepEqual(adapterServicePorts({ type: "smb", port: 1445 }, undefined), [
    { name: "adapter-smb", port: 1445, targetPort: 1445, protocol: "TCP" },
    { name: "mdns", port: 5353, targetPort: 5353, protocol: "UDP" },
    { name: "wsd", port: 3702, targetPort: 3702, protocol: "UDP" },
    { name: "wsd-meta", port: 5357, targetPort: 5357, protocol: "TCP" },
  ]);
});

test("desired adapter Services: one per enabled adapter (running or not), spec type and annotations, pod selector", () => {
  const s = server({ adapterServices: { type: "NodePort", annotations: { "lb/x": "y" } } });
  const services = desiredAdapterServices(s, [adapter("nfs", 12049), adapter("smb", 1445, { enabled: false }), adapter("x", 9000, { running: false })], undefined);
  assert.deepEqual(services.map((o) => o.metadata.name), ["fs1-adapter-nfs", "fs1-adapter-x"]);
  const nfs = services[0]!;
  assert.equal(at(nfs, "spec", "type"), "NodePort");
  assert.deepEqual(nfs.metadata.annotations, { "lb/x": "y" });
  assert.equal(nfs.metadata.labels?.["dittofs.dittofs.com/adapter-type"], "nfs");
  assert.equal(at(nfs, "spec", "selector", "app.kubernetes.io/instance"), "fs1");
  assert.equal(nfs.metadata.ownerReferences?.[0]?.kind, "DittoServer");
  assert.equal(at(desiredAdapterServices(server(), [adapter("nfs", 1)], undefined)[0]!, "spec", "type"), "LoadBalancer");
});

test("status.adapters: sorted by type, the adapter's own status and message", () => {
  const list = adapterStatuses([adapter("smb", 1445), adapter("nfs", 12049, { health: { status: "unhealthy", message: "bind: address already in use" } })]);
  assert.deepEqual(list, [
    { type: "nfs", port: 12049, enabled: true, running: true, status: "unhealthy", message: "bind: address already in use" },
    { type: "smb", port: 1445, enabled: true, running: true, status: "healthy" },
  ]);
});

test("serving: only when every enabled adapter runs and is healthy; the failing one is named with the server's message", () => {
  assert.equal(serving([adapter("nfs", 12049), adapter("smb", 1445, { enabled: false, running: false })]).serving, true);
  const notRunning = serving([adapter("nfs", 12049, { running: false, health: { status: "unknown", message: "" } }), adapter("smb", 1445)]);
  assert.deepEqual(notRunning, { serving: false, reason: "AdapterNotRunning", adapter: "nfs", message: "adapter nfs (port 12049) is enabled but not running" });
  const unhealthy = serving([adapter("nfs", 12049), adapter("smb", 1445, { health: { status: "unhealthy", message: "listen tcp :1445: bind: address already in use" } })]);
  assert.equal(unhealthy.serving, false);
  assert.ok(!unhealthy.serving && unhealthy.adapter === "smb" && unhealthy.reason === "AdapterUnhealthy");
  assert.match(unhealthy.message, /smb .*address already in use/);
  assert.equal(serving([adapter("nfs", 1, { health: { status: "degraded", message: "" } })]).serving, false, "degraded is not healthy");
  const none = serving([adapter("nfs", 1, { enabled: false })]);
  assert.ok(!none.serving && none.reason === "NoAdapterEnabled");
});

test("serving: a server that lost its control-plane database is not serving, whatever the adapters say", () => {
  const verdict = serving([adapter("nfs", 1)], { status: "degraded", controlPlaneDb: "unreachable" });
  assert.ok(!verdict.serving && verdict.reason === "ControlPlaneDatabaseUnreachable");
  assert.equal(serving([adapter("nfs", 1)], { status: "healthy", controlPlaneDb: "reachable" }).serving, true);
});
