/** Identity of the DittoServer API; kept identical to the reference operator so users can switch. */
export const GROUP = "dittofs.dittofs.com";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = "DittoServer";
export const LIST_KIND = "DittoServerList";
export const PLURAL = "dittoservers";
export const SINGULAR = "dittoserver";
export const SHORT_NAMES = ["ditto", "dittofs"] as const;
export const CRD_NAME = `${PLURAL}.${GROUP}`;

/** Finalizer guarding the deletion sequence (pods drained, Percona orphaned or deleted). */
export const FINALIZER = `${GROUP}/finalizer`;

/** Server-side-apply field manager and event reporting controller. One name, used nowhere else. */
export const FIELD_MANAGER = "dittofs-operator";
export const CONTROLLER_NAME = "dittoserver";

/** The DittoFS version the operator renders config for and uses as the default image. */
export const DITTOFS_VERSION = "v0.29.0";
export const DEFAULT_IMAGE = `marmos91c/dittofs:${DITTOFS_VERSION}`;
