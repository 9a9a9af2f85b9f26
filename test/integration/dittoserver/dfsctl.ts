/**
 * `dfsctl` as a user runs it against a real server behind a pod, with a private HOME: its stored login (`dfsctl
 * login`) stays inside one test file, so files never share a session.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "../../controlplane/run.ts";
import { testBinDir } from "../../controlplane/testenv.ts";

export interface Dfsctl {
  /** Run `dfsctl args…`; its stdout, or an error with its output when it exits non-zero. */
  run(args: readonly string[]): Promise<string>;
  /** Remove the private HOME. */
  remove(): Promise<void>;
}

export async function privateDfsctl(): Promise<Dfsctl> {
  const home = await mkdtemp(join(tmpdir(), "dfsctl-home-"));
  return {
    async run(args) {
      const r = await runCommand("env", [`HOME=${home}`, `XDG_CONFIG_HOME=${join(home, ".config")}`, join(testBinDir(), "dfsctl"), ...args]);
      if (r.code !== 0) throw new Error(`dfsctl ${args.join(" ")} exited ${r.code}: ${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    remove: () => rm(home, { recursive: true, force: true }),
  };
}
