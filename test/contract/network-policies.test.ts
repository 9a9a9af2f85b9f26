/**
 * The NetworkPolicies the builders render against the ports the real dfs v0.29.0 opens (its sockets, read from
 * /proc): freshly started with the rendered config, every port is allowed by the baseline alone (the API and metrics
 * only from their namespaces), so nothing is blocked before the operator first reads the adapter list (reference
 * defect 20); with NFS moved and the portmapper enabled over REST, the adapter policies built from the adapter list
 * the server reports allow the new ports, which the baseline does not.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { DittoFsClient } from "../../src/dittofs/client.ts";
import { selectorLabels } from "../../src/dittoserver/labels.ts";
import { desiredAdapterPolicies, desiredBaselinePolicy } from "../../src/dittoserver/network-policies.ts";
import type { KubeObject } from "../../src/runtime/objects.ts";
import { allocatePorts } from "../controlplane/ports.ts";
import { dfsBinary } from "./dfs.ts";
import { manifest, openLab } from "./dittofs-lab.ts";
import type { Lab } from "./dittofs-lab.ts";
import { listeningPorts } from "./listening-sockets.ts";
import type { ListeningPort } from "./listening-sockets.ts";
import { allows } from "./network-policy-check.ts";
import type { Source } from "./network-policy-check.ts";
import { defaulted, NAMESPACE, renderPod } from "./render.ts";
import { accessToken, openSession } from "./session.ts";
import type { Session } from "./session.ts";

const NAME = "netpol";
const OPERATOR_NS = "dittofs-system";
const MONITORING_NS = "monitoring";
const ANYWHERE: Source[] = [{ namespace: "elsewhere" }, { ip: "198.51.100.1" }];

describe("NetworkPolicies against the ports dfs v0.29.0 really opens", () => {
  let lab: Lab;
  let session: Session;
  let client: DittoFsClient;
  let token = "";
  const server = defaulted(manifest(NAME, { metrics: { enabled: true }, networkPolicy: { monitoringNamespace: MONITORING_NS } }));
  const pod = { namespace: NAMESPACE, labels: selectorLabels(server) };
  const baseline = desiredBaselinePolicy(server, OPERATOR_NS)!;

  before(async () => {
    lab = await openLab("netpol", []);
    session = await openSession(renderPod(server, { pki: lab.pki }), await dfsBinary(), join(lab.work, NAME), lab.pki);
    await session.start();
    token = accessToken(await session.login());
    client = lab.clientFor(session);
  });
  after(async () => {
    await session?.close();
    await lab?.close();
  });

  /** The server's listening ports as the pod has them: the harness's moved API and metrics ports mapped back. */
  function podPorts(): ListeningPort[] {
    const back = new Map([...session.launch.ports].map(([podPort, hostPort]) => [hostPort, podPort]));
    return listeningPorts(session.server().pid).map((p) => (p.protocol === "TCP" && back.has(p.port) ? { ...p, port: back.get(p.port)! } : p));
  }

  async function until(what: string, check: (ports: ListeningPort[]) => boolean): Promise<ListeningPort[]> {
    let last: ListeningPort[] = [];
    for (let attempt = 0; attempt < 120; attempt++) {
      last = podPorts();
      if (check(last)) return last;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.fail(`${what}: the server listens on ${JSON.stringify(last)}`);
  }

  const has = (ports: ListeningPort[], port: number, protocol = "TCP") => ports.some((p) => p.port === port && p.protocol === protocol);

  /** Every port is allowed by `policies`: the API from the operator's namespace, metrics from monitoring, the rest from anywhere. */
  function assertAllAllowed(policies: KubeObject[], ports: ListeningPort[]): void {
    const api = server.spec.controlPlane.port;
    const metrics = server.spec.metrics!.port;
    for (const port of ports) {
      const what = `${port.port}/${port.protocol}`;
      const only: Source | undefined = port.port === api ? { namespace: OPERATOR_NS } : port.port === metrics ? { namespace: MONITORING_NS } : undefined;
      if (only) {
        assert.ok(allows(policies, pod, port, only), `${what} from ${only.namespace}`);
        for (const source of ANYWHERE) assert.ok(!allows(policies, pod, port, source), `${what} closed to ${JSON.stringify(source)}`);
      } else {
        for (const source of ANYWHERE) assert.ok(allows(policies, pod, port, source), `${what} open to ${JSON.stringify(source)}`);
      }
    }
  }

  it("freshly started: every port it opens is allowed by the baseline alone", async () => {
    // The seeded ports are this machine's, shared with other runs: an adapter that could not bind is reported as
    // such and opens nothing; the pod-netns check of test/integration/dittoserver/network-policies.test.ts has no
    // such neighbours.
    let adapters = await client.listAdapters(token);
    for (let attempt = 0; attempt < 120 && !adapters.every((a) => a.running || a.health.status === "unhealthy"); attempt++) {
      await new Promise((r) => setTimeout(r, 250));
      adapters = await client.listAdapters(token);
    }
    const running = adapters.filter((a) => a.running).map((a) => a.port);
    const ports = await until(`the running adapters' ports ${running.join(", ")} listening`, (p) => running.every((port) => has(p, port)));
    console.log(`adapters: ${adapters.map((a) => `${a.type}:${a.port} ${a.running ? "running" : a.health.status}`).join(", ")}`);
    console.log(`dfs listens on (pod ports): ${ports.map((p) => `${p.port}/${p.protocol}`).join(", ")}`);
    assert.ok(has(ports, server.spec.controlPlane.port) && has(ports, server.spec.metrics!.port), "API and metrics listeners are among them");
    assertAllAllowed([baseline], ports);
  });

  it("NFS moved and the portmapper on over REST: the adapter policies from the reported list allow the new ports", async () => {
    const lease = await allocatePorts(2);
    try {
      const [nfsPort, portmapperPort] = lease.ports as [number, number];
      // The portmapper setting takes effect when the NFS adapter restarts, which the move does.
      await client.patchNfsSettings(token, { portmapper_enabled: true, portmapper_port: portmapperPort });
      const moved = await session.call("PUT", "/api/v1/adapters/nfs", token, { port: nfsPort });
      assert.equal(moved.status, 200, moved.body);
      const ports = await until(`NFS on ${nfsPort} and the portmapper on ${portmapperPort}`, (p) => has(p, nfsPort) && has(p, portmapperPort) && has(p, portmapperPort, "UDP"));
      console.log(`after the move: ${ports.map((p) => `${p.port}/${p.protocol}`).join(", ")}`);
      const view = { adapters: await client.listAdapters(token), nfs: await client.nfsSettings(token) };
      const policies = [baseline, ...desiredAdapterPolicies(server, view)];
      assert.deepEqual(policies.map((p) => p.metadata.name), [`${NAME}-baseline`, `${NAME}-adapter-nfs`, `${NAME}-adapter-smb`]);
      assertAllAllowed(policies, ports);
      for (const port of [nfsPort, portmapperPort]) {
        assert.ok(!allows([baseline], pod, { port, protocol: "TCP" }, ANYWHERE[0]!), `${port} is not in the baseline: only the adapter policy opens it`);
      }
    } finally {
      lease.release();
    }
  });
});
