/**
 * The write fence: with leader election, only the leader of the current term may send a mutating request. The
 * client asks the fence before every write (see client.ts); the leadership (leadership.ts) holds it open.
 */

/** Decides, at the moment a mutating request is about to leave, whether it may. */
export interface WriteFence {
  /**
   * The signal of the current term (it aborts when the term ends, and so aborts a write still in flight), or a
   * thrown NotLeaderError when no write may be sent now.
   */
  admit(): AbortSignal;
}

/** A write refused by the fence: this process does not hold the lease (or cannot be sure it still does). */
export class NotLeaderError extends Error {
  override readonly name = "NotLeaderError";
}

export function isNotLeader(err: unknown): err is NotLeaderError {
  return err instanceof NotLeaderError;
}
