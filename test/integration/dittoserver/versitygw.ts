/**
 * A real S3-compatible server for the S3 block-store tests: versitygw (built by `hack/build-binaries.sh
 * --versitygw`), posix backend on a temporary directory, one root access key pair passed through its environment.
 *
 * It listens on the pod network's node address (NODE_IP, the host end of every pod's veth), the one address a dfs
 * pod of the runner can reach: traffic stays between this machine and the namespaces the test made. That address
 * exists only while some runner pod does, so start it after the server's pod is up.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allocatePorts } from "../../controlplane/ports.ts";
import { NODE_IP } from "../../controlplane/pods/network.ts";
import { testLogDir, testVersitygw, waitFor } from "../../controlplane/testenv.ts";

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3Server {
  /** `http://<node IP>:<port>`, as a store's endpoint. */
  endpoint: string;
  /** Creates a bucket (a directory of the posix backend). */
  createBucket(name: string): void;
  /** Stops the server and starts it again with other root credentials (same data, same address). */
  restart(credentials: S3Credentials): Promise<void>;
  stop(): Promise<void>;
}

function listening(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: NODE_IP, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => { resolve(undefined); });
  });
}

export async function startVersitygw(credentials: S3Credentials): Promise<S3Server> {
  const root = mkdtempSync(join(tmpdir(), "dittofs-s3-"));
  const lease = await allocatePorts(1);
  const port = lease.ports[0]!;
  const logPath = join(testLogDir(), `versitygw-${port}.log`);
  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill("SIGKILL");
  process.on("exit", killOnExit);

  const start = async (c: S3Credentials): Promise<void> => {
    const log = openSync(logPath, "a");
    // Credentials through the environment, never the command line (visible to every process of the machine).
    const env = { ...process.env, ROOT_ACCESS_KEY_ID: c.accessKeyId, ROOT_SECRET_ACCESS_KEY: c.secretAccessKey };
    child = spawn(testVersitygw(), ["--port", `${NODE_IP}:${port}`, "--quiet", "posix", root], { env, stdio: ["ignore", log, log] });
    closeSync(log);
    await waitFor(`versitygw listening on ${NODE_IP}:${port} (log ${logPath})`, () => listening(port), { timeoutMs: 20_000, intervalMs: 100 });
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGTERM");
    await exited;
  };

  await start(credentials);
  return {
    endpoint: `http://${NODE_IP}:${port}`,
    createBucket: (name) => { mkdirSync(join(root, name)); },
    restart: async (c) => {
      await stop();
      await start(c);
    },
    stop: async () => {
      await stop();
      process.off("exit", killOnExit);
      lease.release();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
