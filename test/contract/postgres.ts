/**
 * One private PostgreSQL server per test file (hack/postgres.sh), serving TLS like the Percona cluster does, with
 * one role and database per test case so DittoFS instances never share a control plane.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { allocatePorts } from "../controlplane/ports.ts";
import type { PortLease } from "../controlplane/ports.ts";

const SCRIPT = fileURLToPath(new URL("../../hack/postgres.sh", import.meta.url));

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.slice(0, 2).join(" ")} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export interface Database {
  host: string;
  port: number;
  name: string;
  user: string;
  password: string;
}

export interface PostgresServer {
  host: string;
  port: number;
  /** Creates a fresh role and database (owner = role) for one DittoFS instance. */
  createDatabase(name: string): Promise<Database>;
  /** Runs SQL as the given database's own role over TCP with TLS required; returns psql's unaligned rows. */
  query(db: Database, sql: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresServer> {
  // The server runs as the unprivileged postgres user when we are root: its directory must be reachable.
  const parent = mkdtempSync(join(tmpdir(), "dittofs-contract-pg-"));
  chmodSync(parent, 0o755);
  const dir = join(parent, "pg");
  const lease: PortLease = await allocatePorts(1);
  const port = lease.ports[0]!;
  const owner = { user: "contract_admin", password: randomBytes(18).toString("base64url"), database: "contract_admin" };
  try {
    await run("bash", [SCRIPT, "start", dir, String(port), owner.user, owner.password, owner.database]);
  } catch (err) {
    lease.release();
    rmSync(parent, { recursive: true, force: true });
    throw err;
  }
  const adminDb: Database = { host: "127.0.0.1", port, name: owner.database, user: owner.user, password: owner.password };
  const query = async (db: Database, sql: string): Promise<string[]> => {
    const out = await run(
      "psql",
      ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", db.host, "-p", String(db.port), "-U", db.user, "-d", db.name, "-c", sql],
      { PGPASSWORD: db.password, PGSSLMODE: "require", PGCONNECT_TIMEOUT: "5" },
    );
    return out.split("\n").filter((line) => line !== "");
  };
  return {
    host: "127.0.0.1",
    port,
    createDatabase: async (name) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name must be a plain identifier: ${name}`);
      const db: Database = { host: "127.0.0.1", port, name, user: name, password: randomBytes(18).toString("base64url") };
      // The admin role has CREATEROLE/CREATEDB (hack/postgres.sh); the password is a base64url literal.
      await query(adminDb, `CREATE ROLE ${name} LOGIN PASSWORD '${db.password}'`);
      // PostgreSQL 15+ lets a CREATEROLE role hand a database only to roles it is a member of.
      await query(adminDb, `GRANT ${name} TO ${owner.user}`);
      await query(adminDb, `CREATE DATABASE ${name} OWNER ${name}`);
      return db;
    },
    query,
    stop: async () => {
      try {
        await run("bash", [SCRIPT, "stop", dir]);
      } finally {
        lease.release();
        rmSync(parent, { recursive: true, force: true });
      }
    },
  };
}
