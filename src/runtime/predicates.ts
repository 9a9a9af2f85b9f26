/**
 * Event filters in front of a controller's queue (controller-runtime `predicate` package). A missing function lets
 * the event through. Pure.
 */
import type { KubeObject } from "./objects.ts";

export interface Predicate {
  create?(obj: KubeObject): boolean;
  update?(old: KubeObject, obj: KubeObject): boolean;
  delete?(obj: KubeObject): boolean;
}

export function passesCreate(p: Predicate | undefined, obj: KubeObject): boolean {
  return p?.create ? p.create(obj) : true;
}

export function passesUpdate(p: Predicate | undefined, old: KubeObject, obj: KubeObject): boolean {
  return p?.update ? p.update(old, obj) : true;
}

export function passesDelete(p: Predicate | undefined, obj: KubeObject): boolean {
  return p?.delete ? p.delete(obj) : true;
}

/** Updates pass only when `metadata.generation` changed: status-only and metadata-only writes (and resyncs) don't. */
export const generationChanged: Predicate = {
  update: (old, obj) => old.metadata.generation !== obj.metadata.generation,
};

/** Updates pass when the finalizer list changed (e.g. our own finalizer was just added). */
export const finalizersChanged: Predicate = {
  update: (old, obj) => !sameList(old.metadata.finalizers, obj.metadata.finalizers),
};

/** Updates pass when deletion started (deletionTimestamp appeared or changed). */
export const deletionTimestampChanged: Predicate = {
  update: (old, obj) => old.metadata.deletionTimestamp !== obj.metadata.deletionTimestamp,
};

export const labelsChanged: Predicate = {
  update: (old, obj) => !sameMap(old.metadata.labels, obj.metadata.labels),
};

export const annotationsChanged: Predicate = {
  update: (old, obj) => !sameMap(old.metadata.annotations, obj.metadata.annotations),
};

/** Drops resync updates (old and new at the same resourceVersion). */
export const resourceVersionChanged: Predicate = {
  update: (old, obj) => old.metadata.resourceVersion !== obj.metadata.resourceVersion,
};

/** Passes when any of the predicates passes. */
export function or(...ps: Predicate[]): Predicate {
  return {
    create: (o) => ps.some((p) => passesCreate(p, o)),
    update: (a, b) => ps.some((p) => passesUpdate(p, a, b)),
    delete: (o) => ps.some((p) => passesDelete(p, o)),
  };
}

/** Passes when all predicates pass. */
export function and(...ps: Predicate[]): Predicate {
  return {
    create: (o) => ps.every((p) => passesCreate(p, o)),
    update: (a, b) => ps.every((p) => passesUpdate(p, a, b)),
    delete: (o) => ps.every((p) => passesDelete(p, o)),
  };
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function sameMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const x = a ?? {};
  const y = b ?? {};
  const kx = Object.keys(x);
  return kx.length === Object.keys(y).length && kx.every((k) => x[k] === y[k]);
}

/**
 * The usual primary predicate with the finalizer helper: spec changes (generation), our finalizer landing (the
 * helper adds it and waits for that event before `apply`), and deletion starting. Status-only writes and resyncs
 * are still swallowed.
 */
export const specOrLifecycleChanged: Predicate = or(generationChanged, finalizersChanged, deletionTimestampChanged);
