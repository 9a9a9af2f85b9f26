/**
 * Leadership across terms, in one process: campaign → lead (controllers run, the write fence is open) → lost (the
 * fence is shut at once; every controller stops and each of its in-flight reconciles ends) → campaign again.
 *
 * client-go and controller-runtime exit the process when the lease is lost, because a leader that cannot prove its
 * lease must not write and exiting is the simplest way to be sure nothing does. Here the fence gives the same
 * guarantee without exiting (no write leaves once the renew deadline has passed without a renewal; writes still in
 * flight are aborted), and staying up keeps the caches warm. With a stable identity (the pod name) the lease record
 * still names us after an API outage, so we take it back as soon as the API answers instead of waiting out a
 * whole lease duration as a newcomer. docs/runtime.md ("Leader election") has the timing argument.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { errorMessage } from "./errors.ts";
import { LeaderElector } from "./leader.ts";
import type { LeaderElectorOptions } from "./leader.ts";
import { NotLeaderError } from "./write-fence.ts";
import type { WriteFence } from "./write-fence.ts";

export interface LeadershipOptions
  extends Omit<LeaderElectorOptions, "onStartedLeading" | "onStoppedLeading" | "releaseOnCancel"> {
  /** Start the leader's work for a term; `term` aborts when the term ends. A rejection is fatal (`onUnsafe`). */
  lead: (term: AbortSignal) => Promise<void>;
  /** Stop the leader's work; resolves true once every in-flight reconcile has ended. */
  stepDown: () => Promise<boolean>;
  /** The leader's work could not be stopped (or started): the process must exit rather than risk two writers. */
  onUnsafe: (reason: string) => void;
}

/**
 * The identity in the Lease: `$POD_NAME` (the Downward API) when set, so that a restarted container of the same pod
 * recognises its own record; otherwise `hostname_uuid`, unique per process (two processes on one machine must never
 * share an identity: each would take the other's lease as its own).
 */
export function leaderIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return env.POD_NAME || `${hostname()}_${randomUUID()}`;
}

export class Leadership implements WriteFence {
  private readonly opts: LeadershipOptions;
  private readonly cancel = new AbortController();
  private elector: LeaderElector | undefined;
  private term: AbortSignal | undefined;
  private campaign: Promise<void> | undefined;
  private keepLeaseReason: string | undefined;
  private terms = 0;

  constructor(opts: LeadershipOptions) {
    this.opts = opts;
  }

  start(): void {
    this.campaign ??= this.run();
  }

  /** The fence: open only inside a term whose lease was renewed less than the renew deadline ago. */
  admit(): AbortSignal {
    const term = this.term;
    if (!term || term.aborted || !this.elector?.mayWrite()) {
      throw new NotLeaderError("not the leader: writes are refused until this process holds the lease again");
    }
    return term;
  }

  isLeader(): boolean {
    return this.elector?.isLeader() ?? false;
  }

  /** Terms led so far (1 after the first acquisition). */
  termsLed(): number {
    return this.terms;
  }

  /** Liveness: false when we believe we lead but have not renewed for far too long (LeaderElector.check). */
  check(): boolean {
    return this.elector?.check() ?? true;
  }

  /** At shutdown, leave the lease to expire instead of releasing it (abandoned reconciles may still be running). */
  keepLeaseOnCancel(reason: string): void {
    this.keepLeaseReason = reason;
    this.elector?.keepLeaseOnCancel(reason);
  }

  /** Ends the campaign, releasing the lease if we hold it. Call only once the leader's work has stopped. */
  async stop(): Promise<void> {
    this.cancel.abort();
    await this.campaign;
  }

  private async run(): Promise<void> {
    const { lead: _lead, stepDown, onUnsafe, ...electorOptions } = this.opts;
    const log = this.opts.logger;
    while (!this.cancel.signal.aborted) {
      const elector = new LeaderElector({
        ...electorOptions,
        releaseOnCancel: true,
        onStartedLeading: (term) => {
          this.begin(term);
        },
        onStoppedLeading: () => undefined,
      });
      if (this.keepLeaseReason !== undefined) elector.keepLeaseOnCancel(this.keepLeaseReason);
      this.elector = elector;
      await elector.run(this.cancel.signal);
      if (this.cancel.signal.aborted) return;
      log?.warn({ identity: this.opts.identity }, "leadership lost: writes refused; stopping controllers before campaigning again");
      const stopped = await stepDown();
      if (!stopped) {
        onUnsafe("in-flight reconciles did not end after leadership was lost");
        return;
      }
      log?.info({ identity: this.opts.identity }, "controllers stopped; campaigning again");
    }
  }

  private begin(term: AbortSignal): void {
    this.term = term;
    this.terms++;
    this.opts.lead(term).catch((err: unknown) => {
      this.opts.onUnsafe(`could not start the leader's work: ${errorMessage(err)}`);
    });
  }
}
