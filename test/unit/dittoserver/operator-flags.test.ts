import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OPERATOR_DEFAULTS } from "../../../src/dittoserver/kinds.ts";
import { parseOperatorFlags } from "../../../src/dittoserver/operator-flags.ts";
import { FlagError } from "../../../src/runtime/flags.ts";

describe("operator flags", () => {
  it("has the documented defaults: cluster.local, warn after 30 s, give up on pods after 60 s, resync 10 min, unschedulable after 30 s, unbound claims after 10 min", () => {
    assert.deepEqual(OPERATOR_DEFAULTS, { clusterDomain: "cluster.local", deletionPodWarningMs: 30_000, deletionPodTimeoutMs: 60_000, resyncMs: 600_000, pollMs: 10_000, unschedulableGraceMs: 30_000, volumeBindingGraceMs: 600_000 });
    assert.deepEqual(parseOperatorFlags([]).options, OPERATOR_DEFAULTS);
  });
  it("takes its own flags and leaves the manager's", () => {
    const { options, rest } = parseOperatorFlags(["--cluster-domain=example.org", "--namespace", "ns", "--deletion-pod-timeout", "5s", "--deletion-pod-warning=2s", "--unschedulable-grace=1m", "--volume-binding-grace=2m", "--leader-elect"]);
    assert.equal(options.clusterDomain, "example.org");
    assert.equal(options.deletionPodTimeoutMs, 5_000);
    assert.equal(options.deletionPodWarningMs, 2_000);
    assert.equal(options.unschedulableGraceMs, 60_000);
    assert.equal(options.volumeBindingGraceMs, 120_000);
    assert.deepEqual(rest, ["--namespace", "ns", "--leader-elect"]);
  });
  it("rejects bad values with a clear error", () => {
    assert.throws(() => parseOperatorFlags(["--cluster-domain=Bad_Domain"]), FlagError);
    assert.throws(() => parseOperatorFlags(["--deletion-pod-timeout", "soon"]), /invalid duration/);
    assert.throws(() => parseOperatorFlags(["--deletion-pod-warning=90s"]), /must not exceed/);
    assert.throws(() => parseOperatorFlags(["--poll-period"]), /needs a value/);
  });
});
