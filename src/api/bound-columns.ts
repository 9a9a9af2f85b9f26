/**
 * The `kubectl get` columns every kind bound to a DittoServer shows: its server, what it names there, Ready and
 * Synced, age. One place, so the kinds read alike.
 */
import type { PrinterColumn } from "./crd.ts";

const conditionColumn = (type: string): PrinterColumn => ({ name: type, type: "string", description: `${type} condition.`, jsonPath: `.status.conditions[?(@.type=="${type}")].status` });

/** Server, the kind's own columns, Ready, Synced, Age. */
export function boundColumns(own: readonly PrinterColumn[]): PrinterColumn[] {
  return [
    { name: "Server", type: "string", description: "The DittoServer.", jsonPath: ".spec.serverRef.name" },
    ...own,
    conditionColumn("Ready"),
    conditionColumn("Synced"),
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ];
}
