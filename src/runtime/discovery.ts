/**
 * Optional kinds: whether a CustomResourceDefinition is installed, established and serving a version, tracked by
 * watching that one CRD by name (a field selector keeps the big CRD objects of unrelated APIs out of the cache).
 * Listeners hear every transition, so a watch can start when a CRD appears and stop when it goes, without a restart.
 * Needs RBAC `get, list, watch` on `apiextensions.k8s.io` `customresourcedefinitions`.
 */
import type { Logger } from "./log.ts";
import type { KubeObject } from "./objects.ts";
import { CORE } from "./resources.ts";
import type { SharedCache } from "./shared-cache.ts";

interface CrdShape {
  spec?: { versions?: { name?: string; served?: boolean }[] };
  status?: { conditions?: { type?: string; status?: string }[] };
}

/** Established and serving `version` (pure). */
export function crdServes(crd: KubeObject | undefined, version: string): boolean {
  if (!crd || crd.metadata.deletionTimestamp) return false;
  const c = crd as KubeObject & CrdShape;
  const established = (c.status?.conditions ?? []).some((x) => x.type === "Established" && x.status === "True");
  const served = (c.spec?.versions ?? []).some((v) => v.name === version && v.served === true);
  return established && served;
}

type Listener = (available: boolean) => void;

interface Tracked {
  crdName: string;
  version: string;
  available: boolean;
  listeners: Set<Listener>;
}

export class CrdAvailability {
  private readonly cache: SharedCache;
  private readonly logger: Logger | undefined;
  private readonly tracked = new Map<string, Tracked>();

  constructor(cache: SharedCache, logger?: Logger) {
    this.cache = cache;
    this.logger = logger;
  }

  /**
   * Call `listener` whenever `crdName` starts or stops serving `version` (first call once the CRD watch has listed,
   * and only if it is available then). Returns an unsubscribe function.
   */
  track(crdName: string, version: string, listener: Listener): () => void {
    const id = `${crdName}|${version}`;
    let t = this.tracked.get(id);
    if (!t) {
      const entry: Tracked = { crdName, version, available: false, listeners: new Set() };
      t = entry;
      this.tracked.set(id, entry);
      const informer = this.cache.informerFor(CORE.customResourceDefinitions, {
        fieldSelector: `metadata.name=${crdName}`,
      });
      const recheck = (): void => {
        this.set(entry, crdServes(informer.get(crdName), version));
      };
      informer.addEventHandler({ add: recheck, update: recheck, delete: recheck });
    }
    t.listeners.add(listener);
    if (t.available) listener(true);
    const entry = t;
    return () => {
      entry.listeners.delete(listener);
    };
  }

  isAvailable(crdName: string, version: string): boolean {
    return this.tracked.get(`${crdName}|${version}`)?.available ?? false;
  }

  private set(t: Tracked, available: boolean): void {
    if (t.available === available) return;
    t.available = available;
    this.logger?.info({ crd: t.crdName, version: t.version, available }, "optional API availability changed");
    for (const l of t.listeners) {
      try {
        l(available);
      } catch (err) {
        this.logger?.error({ crd: t.crdName, error: String(err) }, "availability listener failed");
      }
    }
  }
}
