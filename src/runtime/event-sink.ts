/** The EventRecorder's sink on the API: events.k8s.io/v1 create and merge-patch. */
import type { KubeClient } from "./client.ts";
import type { EventSink, EventsV1Event } from "./events.ts";
import { CORE } from "./resources.ts";

export function apiEventSink(client: KubeClient): EventSink {
  return {
    create: (namespace, event) =>
      client.create<EventsV1Event>(CORE.events, { ...event, metadata: { ...event.metadata, namespace } }),
    patch: (namespace, name, mergePatch) => client.mergePatch<EventsV1Event>(CORE.events, { namespace, name }, mergePatch),
  };
}
