/**
 * The pod status a kubelet reports, as a pure function of what the pod runner knows about one pod: phase,
 * the Initialized/ContainersReady/Ready conditions (with transition times that move only on change) and the
 * container statuses with restartCount, state and lastState.
 */

export type ContainerState =
  | { running: { startedAt: string } }
  | { waiting: { reason: string; message?: string } }
  | { terminated: { exitCode: number; signal?: number; reason: string; startedAt: string; finishedAt: string } };

export interface ContainerView {
  name: string;
  image: string;
  /** Set while a process runs. */
  containerID?: string;
  state: ContainerState;
  lastState?: ContainerState;
  restartCount: number;
  started: boolean;
  ready: boolean;
}

export interface PodView {
  startTime: string;
  containers: ContainerView[];
  /** Init containers are reported as completed: the runner does not run them (see the README). */
  initContainers: { name: string; image: string }[];
}

type ConditionType = "Initialized" | "ContainersReady" | "Ready";

/** Remembers when each condition last changed, so lastTransitionTime moves only on a change, as in a kubelet. */
export class ConditionClock {
  private readonly seen = new Map<ConditionType, { status: string; at: string }>();

  condition(type: ConditionType, status: boolean, now: string): { type: ConditionType; status: string; lastTransitionTime: string; reason?: string } {
    const value = status ? "True" : "False";
    const previous = this.seen.get(type);
    const at = previous?.status === value ? previous.at : now;
    this.seen.set(type, { status: value, at });
    return { type, status: value, lastTransitionTime: at, ...(status || type === "Initialized" ? {} : { reason: "ContainersNotReady" }) };
  }
}

/** The body of a strategic-merge patch of the pod's status subresource. */
export function podStatusPatch(view: PodView, clock: ConditionClock, now: string): Record<string, unknown> {
  const allReady = view.containers.every((c) => c.ready);
  return {
    status: {
      phase: "Running",
      startTime: view.startTime,
      conditions: [
        clock.condition("Initialized", true, now),
        clock.condition("ContainersReady", allReady, now),
        clock.condition("Ready", allReady, now),
      ],
      containerStatuses: view.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: "",
        ...(c.containerID ? { containerID: c.containerID } : {}),
        ready: c.ready,
        started: c.started,
        restartCount: c.restartCount,
        state: c.state,
        lastState: c.lastState ?? {},
      })),
      initContainerStatuses: view.initContainers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: "",
        ready: true,
        restartCount: 0,
        state: { terminated: { exitCode: 0, reason: "Completed", startedAt: view.startTime, finishedAt: view.startTime } },
      })),
    },
  };
}

/** How a container process ended, as `lastState.terminated` (exit code 128+n for signal n, like a runtime). */
export function terminatedState(
  exit: { code: number | null; signal: NodeJS.Signals | null },
  startedAt: Date,
  finishedAt: Date,
  signalNumber: (name: NodeJS.Signals) => number,
): ContainerState {
  const exitCode = exit.signal ? 128 + signalNumber(exit.signal) : (exit.code ?? 1);
  return {
    terminated: {
      exitCode,
      ...(exit.signal ? { signal: signalNumber(exit.signal) } : {}),
      reason: exitCode === 0 ? "Completed" : "Error",
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
    },
  };
}

/** The kubelet's restart back-off: 10 s doubling up to 5 min. */
export function restartBackoffMs(restartCount: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, restartCount - 1), 300_000);
}
