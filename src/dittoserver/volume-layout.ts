/**
 * Which `VOLUME_LAYOUTS` entry a DittoServer's pod mounts its claims at, read from its annotation. An unknown value
 * is a spec problem (the StatefulSet is then withheld): guessing would mount the claims where the server's stores
 * are not.
 */
import type { DittoServer } from "../api/types.ts";
import { VOLUME_LAYOUT_ANNOTATION, VOLUME_LAYOUTS } from "./names.ts";
import type { VolumeLayoutName } from "./names.ts";

function isLayoutName(value: string): value is VolumeLayoutName {
  return Object.hasOwn(VOLUME_LAYOUTS, value);
}

/** The layout's name; `default` when the annotation is absent or unknown (`volumeLayoutProblems` reports the latter). */
export function volumeLayoutName(server: Pick<DittoServer, "metadata">): VolumeLayoutName {
  const value = server.metadata.annotations?.[VOLUME_LAYOUT_ANNOTATION];
  return value !== undefined && isLayoutName(value) ? value : "default";
}

/** Mount paths of the metadata and content claims. */
export function volumeLayout(server: Pick<DittoServer, "metadata">): (typeof VOLUME_LAYOUTS)[VolumeLayoutName] {
  return VOLUME_LAYOUTS[volumeLayoutName(server)];
}

export function volumeLayoutProblems(server: Pick<DittoServer, "metadata">): string[] {
  const value = server.metadata.annotations?.[VOLUME_LAYOUT_ANNOTATION];
  if (value === undefined || isLayoutName(value)) return [];
  return [`annotation ${VOLUME_LAYOUT_ANNOTATION}: "${value}" is not a volume layout (one of ${Object.keys(VOLUME_LAYOUTS).join(", ")})`];
}
