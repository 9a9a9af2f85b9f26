import { spawn } from "node:child_process";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion and captures its output. Never rejects: a command that cannot be started
 * reports code 127 with the reason in stderr, so callers assert on one shape.
 */
export function runCommand(command: string, args: string[], opts: { input?: string } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", (err) => { resolve({ code: 127, stdout, stderr: `${stderr}${String(err)}` }); });
    child.once("close", (code, signal) => {
      resolve({ stdout, stderr: signal ? `${stderr}\n(${command} killed by ${signal})` : stderr, code: code ?? 1 });
    });
    child.stdin.on("error", () => {
      // The command may exit before reading its input; the exit code and stderr tell why.
    });
    child.stdin.end(opts.input ?? "");
  });
}
