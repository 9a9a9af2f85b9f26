/**
 * metav1.Condition helpers with `meta.SetStatusCondition` semantics. Pure: they return new lists.
 */
import type { Condition } from "./objects.ts";

export interface ConditionInput {
  type: string;
  status: Condition["status"];
  reason: string;
  message?: string;
  observedGeneration?: number;
}

const REASON_PATTERN = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const MAX_MESSAGE = 32768;

/**
 * Set a condition: appended with `lastTransitionTime = now` when absent; when present, `lastTransitionTime` moves
 * only if `status` changed, while reason, message and observedGeneration always take the new values.
 * Invalid input (bad reason, empty type) throws: conditions are written by code, not users.
 */
export function setCondition(list: readonly Condition[] | undefined, input: ConditionInput, now: Date | number): Condition[] {
  validate(input);
  const time = new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z");
  const message = (input.message ?? "").slice(0, MAX_MESSAGE);
  const current = list ?? [];
  const existing = current.find((c) => c.type === input.type);
  const next: Condition = {
    type: input.type,
    status: input.status,
    ...(input.observedGeneration !== undefined ? { observedGeneration: input.observedGeneration } : {}),
    lastTransitionTime: existing && existing.status === input.status ? existing.lastTransitionTime : time,
    reason: input.reason,
    message,
  };
  if (!existing) return [...current, next];
  return current.map((c) => (c.type === input.type ? next : c));
}

export function removeCondition(list: readonly Condition[] | undefined, type: string): Condition[] {
  return (list ?? []).filter((c) => c.type !== type);
}

export function findCondition(list: readonly Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}

export function isTrue(list: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(list, type)?.status === "True";
}

export function isFalse(list: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(list, type)?.status === "False";
}

function validate(c: ConditionInput): void {
  if (!c.type || c.type.length > 316) throw new Error(`invalid condition type ${JSON.stringify(c.type)}`);
  if (c.status !== "True" && c.status !== "False" && c.status !== "Unknown") {
    throw new Error(`invalid condition status ${JSON.stringify(c.status)}`);
  }
  if (c.reason.length > 1024 || !REASON_PATTERN.test(c.reason)) {
    throw new Error(`invalid condition reason ${JSON.stringify(c.reason)} (CamelCase, ${REASON_PATTERN.source})`);
  }
  if (c.observedGeneration !== undefined && !(Number.isInteger(c.observedGeneration) && c.observedGeneration >= 0)) {
    throw new Error(`invalid observedGeneration ${c.observedGeneration}`);
  }
}
