/** The event recorder over the real events.k8s.io/v1 API: repeats of one event become one Event with a series. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestNamespace, testKubeConfigPath } from "../../controlplane/testenv.ts";
import { KubeClient, loadKubeConfig } from "../../../src/runtime/client.ts";
import { apiEventSink } from "../../../src/runtime/event-sink.ts";
import { EventRecorder } from "../../../src/runtime/events.ts";
import type { EventsV1Event } from "../../../src/runtime/events.ts";
import { CORE } from "../../../src/runtime/resources.ts";

let ns: { name: string; delete(): Promise<void> };
let client: KubeClient;

before(async () => {
  ns = await createTestNamespace("rt-events");
  client = new KubeClient(loadKubeConfig(testKubeConfigPath()), { fieldManager: "events-test" });
});

after(async () => {
  await client.close();
  await ns.delete();
});

describe("events.k8s.io recorder", () => {
  it("records three identical events as one Event with series.count 3, and a different reason or note separately", async () => {
    const cm = await client.create(CORE.configMaps, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "subject", namespace: ns.name },
    });
    const recorder = new EventRecorder({
      sink: apiEventSink(client),
      reportingController: "example.com/runtime-test",
      reportingInstance: "runtime-test-host",
    });
    const regarding = {
      apiVersion: "v1",
      kind: "ConfigMap",
      namespace: ns.name,
      name: "subject",
      uid: cm.metadata.uid!,
    };
    try {
      for (let i = 0; i < 3; i++) {
        recorder.publish({ regarding, type: "Warning", reason: "BackendDown", action: "Reconcile", note: "backend unreachable" });
        await recorder.flush();
      }
      // A different note is a different Event: the API server refuses a PATCH of `note` on the first one.
      recorder.publish({ regarding, type: "Warning", reason: "BackendDown", action: "Reconcile", note: "backend refused the login" });
      await recorder.flush();
      recorder.publish({ regarding, type: "Normal", reason: "Recovered", action: "Reconcile", note: "back" });
      await recorder.flush();
    } finally {
      await recorder.stop();
    }
    const events = (await client.list<EventsV1Event>(CORE.events, { namespace: ns.name })).items;
    const warnings = events.filter((e) => e.reason === "BackendDown");
    assert.deepEqual(
      warnings.map((e) => [e.note, e.series?.count ?? 1]).sort(),
      [["backend refused the login", 1], ["backend unreachable", 3]],
      JSON.stringify(events, null, 2),
    );
    assert.ok(warnings.every((e) => e.regarding.uid === cm.metadata.uid));
    assert.ok(warnings.every((e) => e.reportingController === "example.com/runtime-test"));
    assert.equal(events.filter((e) => e.reason === "Recovered").length, 1);
    assert.equal(events.find((e) => e.reason === "Recovered")!.series, undefined);
  });
});
