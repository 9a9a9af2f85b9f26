/**
 * Counting one client's mutating requests in a kube-apiserver audit log (JSON lines, Metadata level). Pure over
 * the log text: the caller says whose requests (username), where (namespace) and when (time windows).
 */

export const MUTATING_VERBS: ReadonlySet<string> = new Set(["create", "update", "patch", "delete", "deletecollection"]);

export interface AuditEvent {
  verb: string;
  username: string;
  resource: string;
  subresource: string | undefined;
  namespace: string | undefined;
  /** stageTimestamp in ms since the epoch (ResponseComplete: when the answer was sent). */
  at: number;
  code: number | undefined;
}

/** Completed requests only; lines that are not audit events are skipped. */
export function parseAuditLines(text: string, usernameFilter?: string): AuditEvent[] {
  const out: AuditEvent[] = [];
  for (const line of text.split("\n")) {
    // A cheap substring test first: the log holds every component's requests.
    if (!line || (usernameFilter && !line.includes(`"username":"${usernameFilter}"`))) continue;
    let raw: {
      stage?: string;
      verb?: string;
      user?: { username?: string };
      objectRef?: { resource?: string; subresource?: string; namespace?: string };
      stageTimestamp?: string;
      responseStatus?: { code?: number };
    };
    try {
      raw = JSON.parse(line) as typeof raw;
    } catch {
      continue;
    }
    if (raw.stage !== "ResponseComplete" || !raw.verb || !raw.stageTimestamp) continue;
    out.push({
      verb: raw.verb,
      username: raw.user?.username ?? "",
      resource: raw.objectRef?.resource ?? "",
      subresource: raw.objectRef?.subresource,
      namespace: raw.objectRef?.namespace,
      at: Date.parse(raw.stageTimestamp),
      code: raw.responseStatus?.code,
    });
  }
  return out;
}

export interface WriteCount {
  /** Mutating requests other than Events. */
  writes: number;
  /** Mutating requests on events (core or events.k8s.io). */
  events: number;
  /** `resource[/subresource] verb` → count, Events included. */
  byKind: Record<string, number>;
}

/** Mutating requests of `username` in `namespace` with from ≤ at < to. */
export function countWrites(events: readonly AuditEvent[], filter: { username: string; namespace: string; from: number; to: number }): WriteCount {
  const out: WriteCount = { writes: 0, events: 0, byKind: {} };
  for (const e of events) {
    if (e.username !== filter.username || e.namespace !== filter.namespace || e.at < filter.from || e.at >= filter.to) continue;
    if (!MUTATING_VERBS.has(e.verb)) continue;
    if (e.resource === "events") out.events++;
    else out.writes++;
    const kind = `${e.resource}${e.subresource ? `/${e.subresource}` : ""} ${e.verb}`;
    out.byKind[kind] = (out.byKind[kind] ?? 0) + 1;
  }
  return out;
}
