/** An in-memory Lease API for the leader-election unit tests (leader.test.ts, leadership.test.ts). */
import { ApiError } from "../../../src/runtime/errors.ts";
import type { Lease, LeaseSpec, LeaseStore } from "../../../src/runtime/leader.ts";

/** The fakes fail the way the real transport does: with an ApiError carrying the HTTP code and Status reason. */
const apiError = (code: number, reason: string): ApiError => new ApiError(code, reason, `${code} ${reason}`, "");

/** In-memory Lease API enforcing optimistic concurrency on resourceVersion, like the API server. */
export class FakeLeaseStore implements LeaseStore {
  lease: Lease | undefined;
  private rv = 0;
  readonly ops: { verb: string; holder?: string }[] = [];
  /** Every request fails as a transport error. */
  down = false;
  /** Every request hangs until its signal aborts. */
  hang = false;

  async get(_ns: string, _name: string, signal?: AbortSignal): Promise<Lease | undefined> {
    this.ops.push({ verb: "get" });
    await this.network(signal);
    return this.lease ? structuredClone(this.lease) : undefined;
  }

  async create(_ns: string, lease: Lease, signal?: AbortSignal): Promise<Lease> {
    this.ops.push({ verb: "create", holder: lease.spec?.holderIdentity });
    await this.network(signal);
    if (this.lease) throw apiError(409, "AlreadyExists");
    return this.store(lease);
  }

  async update(_ns: string, lease: Lease, signal?: AbortSignal): Promise<Lease> {
    this.ops.push({ verb: "update", holder: lease.spec?.holderIdentity });
    await this.network(signal);
    if (!this.lease) throw apiError(404, "NotFound");
    if (lease.metadata.resourceVersion !== this.lease.metadata.resourceVersion) throw apiError(409, "Conflict");
    return this.store(lease);
  }

  /** Another process writes the Lease directly. */
  put(spec: LeaseSpec): void {
    this.store({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { namespace: "ns", name: "lock" }, spec });
  }

  private store(lease: Lease): Lease {
    const stored = structuredClone(lease);
    stored.metadata.resourceVersion = String(++this.rv);
    this.lease = stored;
    return structuredClone(stored);
  }

  private async network(signal?: AbortSignal): Promise<void> {
    if (this.hang) {
      await new Promise<void>((_resolve, reject) => {
        signal?.addEventListener("abort", () => { reject(new Error("request aborted")); }, { once: true });
      });
    }
    if (this.down) throw new Error("connect ECONNREFUSED");
  }
}
