/**
 * Exponential backoff for retrying list/watch (client-go reflector / kube-rs DefaultBackoff numbers):
 * 0.8 s, ×2 per failure, capped at 30 s, with jitter, and back to 0.8 s once no failure happened for 2 min.
 */
import type { Clock } from "./clock.ts";

export interface BackoffOptions {
  initialMs?: number;
  factor?: number;
  maxMs?: number;
  /** The delay is `d × (1 + jitter × random)`, then capped at `maxMs`. */
  jitter?: number;
  /** A failure this long after the previous one starts again at `initialMs` (the stream was healthy meanwhile). */
  resetAfterMs?: number;
  random?: () => number;
}

export class Backoff {
  private readonly clock: Clock;
  private readonly initialMs: number;
  private readonly factor: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly resetAfterMs: number;
  private readonly random: () => number;
  private currentMs: number;
  private lastFailureAt: number | undefined;

  constructor(clock: Clock, opts: BackoffOptions = {}) {
    this.clock = clock;
    this.initialMs = opts.initialMs ?? 800;
    this.factor = opts.factor ?? 2;
    this.maxMs = opts.maxMs ?? 30_000;
    this.jitter = opts.jitter ?? 1;
    this.resetAfterMs = opts.resetAfterMs ?? 120_000;
    this.random = opts.random ?? Math.random;
    this.currentMs = this.initialMs;
  }

  /** The delay before the next retry; call once per failure. */
  next(): number {
    const now = this.clock.now();
    if (this.lastFailureAt !== undefined && now - this.lastFailureAt > this.resetAfterMs) this.reset();
    this.lastFailureAt = now;
    const base = this.currentMs;
    this.currentMs = Math.min(this.maxMs, this.currentMs * this.factor);
    return Math.min(this.maxMs, base * (1 + this.jitter * this.random()));
  }

  reset(): void {
    this.currentMs = this.initialMs;
    this.lastFailureAt = undefined;
  }
}
