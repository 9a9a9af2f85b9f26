/** Spawning and observing manager child processes (fixtures/manager-process.ts) from integration tests. */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { testKubeConfigPath } from "../../controlplane/testenv.ts";

const FIXTURE = fileURLToPath(new URL("./fixtures/manager-process.ts", import.meta.url));

export interface LogLine {
  msg?: string;
  identity?: string;
  name?: string;
  [key: string]: unknown;
}

export class ManagerProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = "";

  /** `kubeconfigPath`: another control plane than the shared one; `env`: added to this process's (e.g. POD_NAME). */
  constructor(args: string[], opts: { kubeconfigPath?: string; env?: Record<string, string> } = {}) {
    // process.execPath is the project's Node 24 (tests run under it).
    this.child = spawn(process.execPath, [FIXTURE, `--kubeconfig=${opts.kubeconfigPath ?? testKubeConfigPath()}`, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...opts.env },
    });
    let buffered = "";
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      for (const line of parts) {
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ msg: `(raw) ${line}` });
        }
      }
    });
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        resolve({ code, signal });
      });
    });
  }

  /** The manager's identity, once it logged it. */
  identity(): string | undefined {
    return this.lines.find((l) => l.msg === "manager-started")?.identity;
  }

  has(msg: string, name?: string): boolean {
    return this.lines.some((l) => l.msg === msg && (name === undefined || l.name === name));
  }

  count(msg: string): number {
    return this.lines.filter((l) => l.msg === msg).length;
  }

  /** Log and stderr, for failure messages. */
  describe(): string {
    return `${this.lines.map((l) => JSON.stringify(l)).join("\n")}\n${this.stderr}`;
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}
