/** Plain-JSON events.k8s.io/v1 shapes and the API server's length limits, shared by the recorder and its sink. */
import type { ObjectMeta } from "./objects.ts";

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface EventSeries {
  count: number;
  /** MicroTime (RFC 3339 with microseconds). */
  lastObservedTime: string;
}

export type EventType = "Normal" | "Warning";

export interface EventsV1Event {
  apiVersion: "events.k8s.io/v1";
  kind: "Event";
  metadata: ObjectMeta;
  eventTime: string;
  series?: EventSeries;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  regarding: ObjectReference;
  related?: ObjectReference;
  note?: string;
  type: EventType;
}

export interface EventSink {
  create(namespace: string, event: EventsV1Event): Promise<EventsV1Event>;
  /** JSON merge patch (`application/merge-patch+json`). */
  patch(namespace: string, name: string, mergePatch: object): Promise<EventsV1Event>;
}

export interface PublishedEvent {
  regarding: ObjectReference;
  related?: ObjectReference;
  type: EventType;
  reason: string;
  action: string;
  note: string;
}

export const EVENT_LIMITS = { reason: 128, action: 128, reportingController: 128, reportingInstance: 128, note: 1024 };

/** Cuts `s` to at most `maxBytes` UTF-8 bytes (the API server counts bytes) without splitting a character. */
export function truncateUtf8(s: string, maxBytes: number, marker = ""): string {
  const buf = Buffer.from(s, "utf8");
  if (buf.length <= maxBytes) return s;
  let cut = Math.max(0, maxBytes - Buffer.byteLength(marker));
  while (cut > 0 && (buf[cut]! & 0xc0) === 0x80) cut--;
  return buf.subarray(0, cut).toString("utf8") + marker;
}
