/** The LeaderElector's store on the API: coordination.k8s.io/v1 Lease get / create / update (PUT with resourceVersion). */
import type { KubeClient } from "./client.ts";
import type { Lease, LeaseStore } from "./leader.ts";
import { CORE } from "./resources.ts";

export function apiLeaseStore(client: KubeClient): LeaseStore {
  return {
    get: (namespace, name, signal) => client.getOrUndefined<Lease>(CORE.leases, { namespace, name }, signal),
    create: (namespace, lease, signal) =>
      client.create<Lease>(CORE.leases, { ...lease, metadata: { ...lease.metadata, namespace } }, signal),
    update: (namespace, lease, signal) =>
      client.replace<Lease>(CORE.leases, { ...lease, metadata: { ...lease.metadata, namespace } }, { signal }),
  };
}
