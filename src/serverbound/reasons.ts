/**
 * Condition types and reasons every resource bound to a DittoServer shares (docs/conditions.md, "Resources bound
 * to a DittoServer"). A kind adds its own reasons in its own module; these are the framework's.
 */

export const BOUND_COND = {
  /** The resource exists on the server as the spec says it should (a kind may keep it True while Synced is not). */
  Ready: "Ready",
  /** The last pass applied the whole spec. */
  Synced: "Synced",
} as const;

export const BOUND_REASON = {
  InSync: "InSync",
  /** No DittoServer of `spec.serverRef.name` in the namespace: nothing is retried until one is created. */
  ServerNotFound: "ServerNotFound",
  ServerDeleting: "ServerDeleting",
  /** The DittoServer has no working API session (its `Authenticated` says why). */
  ServerNotReady: "ServerNotReady",
  /** A DittoFS call failed transiently (unreachable, 5xx, timeout, TLS): retried with back-off. */
  APIUnreachable: "APIUnreachable",
  /** The server refused a call (4xx): retried on a spec change or after a long back-off. */
  APIRejected: "APIRejected",
} as const;

export const BOUND_EVENT = {
  /** The finalizer went without a call: the DittoServer is gone or being deleted. */
  CleanupSkipped: "CleanupSkipped",
} as const;
