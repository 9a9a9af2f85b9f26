/** The pure parts of the pod runner: address overlap, kwok's stage hand-over, the mount script, pod status. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { kwokStages } from "../../controlplane/flags.ts";
import { mountScript } from "../../controlplane/pods/container.ts";
import { prefixesOverlap } from "../../controlplane/pods/network.ts";
import { ConditionClock, podStatusPatch, restartBackoffMs, terminatedState } from "../../controlplane/pods/status.ts";

describe("pod runner", () => {
  test("prefixesOverlap compares IPv4 prefixes", () => {
    assert.equal(prefixesOverlap("10.128.0.0/16", "10.128.5.7"), true);
    assert.equal(prefixesOverlap("10.128.0.0/16", "10.129.0.0/16"), false);
    assert.equal(prefixesOverlap("10.0.0.0/8", "10.200.0.0/16"), true);
    assert.equal(prefixesOverlap("192.0.2.0/24", "10.128.0.0/16"), false);
    assert.equal(prefixesOverlap("0.0.0.0/0", "10.128.0.0/16"), true);
    assert.throws(() => prefixesOverlap("10.300.0.0/16", "10.0.0.0/8"), /not an IPv4 address/);
  });

  test("kwokStages hands labelled pods over: kwok's pod stages skip them, one stage only gives them addresses", () => {
    const original = [
      "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata: {name: node-initialize}\nspec:\n  resourceRef: {apiGroup: v1, kind: Node}\n  selector:\n    matchExpressions:\n    - {key: .status.conditions, operator: DoesNotExist}\n",
      "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata: {name: pod-ready}\nspec:\n  resourceRef: {apiGroup: v1, kind: Pod}\n  selector:\n    matchExpressions:\n    - {key: .status.podIP, operator: DoesNotExist}\n  next: {statusTemplate: 'phase: Running'}\n",
      "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata: {name: pod-delete}\nspec:\n  resourceRef: {apiGroup: v1, kind: Pod}\n  next: {delete: true}\n",
    ].map((d) => `---\n${d}`).join("");
    const stages = parseAllDocuments(kwokStages(original, "example.com/run")).map((d) => d.toJS() as { metadata: { name: string }; spec: { selector?: { matchExpressions?: { key: string; operator: string }[] }; next: Record<string, unknown> } });
    const byName = new Map(stages.map((s) => [s.metadata.name, s]));
    const skip = { key: '.metadata.labels["example.com/run"]', operator: "DoesNotExist" };
    assert.deepEqual(byName.get("pod-ready")?.spec.selector?.matchExpressions, [{ key: ".status.podIP", operator: "DoesNotExist" }, skip]);
    assert.deepEqual(byName.get("pod-delete")?.spec.selector?.matchExpressions, [skip]);
    assert.deepEqual(byName.get("node-initialize")?.spec.selector?.matchExpressions, [{ key: ".status.conditions", operator: "DoesNotExist" }]);
    const address = byName.get("pod-runner-address");
    assert.ok(address, "the address stage is added");
    assert.ok(address.spec.selector?.matchExpressions?.some((e) => e.key === skip.key && e.operator === "Exists"));
    const template = String(address.spec.next.statusTemplate);
    assert.equal(template.match(/PodIPWith/g)?.length, 1, "one address per pod");
    assert.match(template, /^podIP: \{\{ \$podIP \| Quote \}\}$/m);
    assert.doesNotMatch(template, /phase|conditions|containerStatuses/);
  });

  test("mountScript builds the root from volumes at their real paths and execs the entrypoint as the user", () => {
    const script = mountScript({
      netns: "ns",
      rootDir: "/run/root",
      mounts: [
        { containerPath: "/data/metadata", hostPath: "/h/claim's", readOnly: false },
        { containerPath: "/app/dfs", hostPath: "/bin/dfs", readOnly: true, file: true },
        { containerPath: "/config", hostPath: "/h/config", readOnly: true },
      ],
      imageDirs: [{ path: "/app", uid: 65532, gid: 65532 }],
      readOnlyRoot: true,
      uid: 65532,
      gid: 65532,
      groups: [2000],
      argv: ["/app/dfs", "start", "--config", "/config/config.yaml"],
      env: {},
      logPath: "/dev/null",
    });
    const lines = script.split("\n");
    assert.ok(lines.includes("mount --bind '/h/claim'\\''s' '/run/root/data/metadata'"), script);
    assert.ok(lines.includes("mount -o remount,bind,ro '/run/root/config'"), script);
    assert.ok(!lines.includes("mount -o remount,bind,ro '/run/root/data/metadata'"), script);
    assert.ok(lines.includes("mkdir -p '/run/root/app' && touch '/run/root/app/dfs'"), script);
    assert.ok(lines.includes("mkdir -p '/run/root/app' && chown 65532:65532 '/run/root/app'"), script);
    assert.ok(lines.indexOf("mount -o remount,ro '/run/root'") > lines.findIndex((l) => l.startsWith("mount --bind '/h/config'")));
    assert.equal(lines.at(-1), "exec chroot --userspec=65532:65532 --groups=65532,2000 '/run/root' '/app/dfs' 'start' '--config' '/config/config.yaml'");
  });

  test("podStatusPatch reports readiness, restarts and last state; transition times move only on change", () => {
    const clock = new ConditionClock();
    const container = { name: "c", image: "i", state: { running: { startedAt: "t0" } }, restartCount: 0, started: true, ready: false };
    const first = podStatusPatch({ startTime: "t0", containers: [container], initContainers: [] }, clock, "t1") as { status: { conditions: { type: string; status: string; lastTransitionTime: string }[]; containerStatuses: { restartCount: number; lastState: unknown }[] } };
    assert.deepEqual(first.status.conditions.find((c) => c.type === "Ready"), { type: "Ready", status: "False", lastTransitionTime: "t1", reason: "ContainersNotReady" });
    const lastState = terminatedState({ code: null, signal: "SIGKILL" }, new Date(0), new Date(1000), () => 9);
    const again = podStatusPatch({ startTime: "t0", containers: [{ ...container, restartCount: 1, lastState }], initContainers: [] }, clock, "t2") as typeof first;
    assert.equal(again.status.conditions.find((c) => c.type === "Ready")?.lastTransitionTime, "t1");
    assert.equal(again.status.containerStatuses[0]?.restartCount, 1);
    assert.deepEqual(again.status.containerStatuses[0]?.lastState, { terminated: { exitCode: 137, signal: 9, reason: "Error", startedAt: "1970-01-01T00:00:00.000Z", finishedAt: "1970-01-01T00:00:01.000Z" } });
    const ready = podStatusPatch({ startTime: "t0", containers: [{ ...container, ready: true }], initContainers: [] }, clock, "t3") as typeof first;
    assert.deepEqual(ready.status.conditions.find((c) => c.type === "Ready"), { type: "Ready", status: "True", lastTransitionTime: "t3" });
  });

  test("restart back-off doubles from 10 s up to 5 min", () => {
    assert.deepEqual([1, 2, 3, 6, 20].map(restartBackoffMs), [10_000, 20_000, 40_000, 300_000, 300_000]);
  });
});
