/**
 * Structured JSON logging to stdout with controller-runtime's key names (`controller`, `controllerGroup`,
 * `controllerKind`, `<Kind>: {name, namespace}`, `namespace`, `name`, `reconcileID`, `error`), so existing log
 * queries and dashboards for Go operators keep working. Secrets never reach the log: see `redactSecrets`.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";

export type Logger = PinoLogger;

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** One of LOG_LEVELS (from the `--log-level` flag); default `info`. */
  level?: string;
  /** Logger name, logged as `logger` (zap's key; `name` is taken by the reconciled object's name). */
  name?: string;
  /** Where JSON lines go; default stdout, written synchronously so nothing is lost on an immediate exit. */
  destination?: DestinationStream;
}

export const REDACTED = "[REDACTED]";

/** Keys whose values are credentials. */
const SENSITIVE_KEY = /token|password|passwd|secret|credential|authorization|api[-_]?key|private[-_]?key|cookie/i;
/** …unless the key only names or points at a credential (`secretName`, `passwordSecretRef`, `tokenFile`). */
const REFERENCE_KEY = /(name|names|ref|refs|namespace|file|path)$/i;
const BEARER = /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const MAX_DEPTH = 32;

function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key) && !REFERENCE_KEY.test(key);
}

/** A logged Kubernetes object under a key like `secret` is walked (its Secret data still gets redacted). */
function isKubeObject(v: unknown): boolean {
  return typeof v === "object" && v !== null && "apiVersion" in v && "kind" in v && "metadata" in v;
}

/** Replaces every value of a Secret's `data`/`stringData`, keeping the keys (useful to debug a missing key). */
function redactValues(map: unknown): unknown {
  if (map === null || typeof map !== "object" || Array.isArray(map)) return REDACTED;
  return Object.fromEntries(Object.keys(map).map((k) => [k, REDACTED]));
}

/**
 * Returns a copy of `value` without credentials: values under sensitive keys, the `data`/`stringData` of
 * Secret objects, and `Bearer …`/`Basic …` credentials inside strings. Error instances pass through unchanged
 * (serialised errors are plain objects by the time lines are redacted). Never mutates its input.
 */
export function redactSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return value.replace(BEARER, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  if (value === null || typeof value !== "object" || value instanceof Error) return value;
  if (depth >= MAX_DEPTH || seen.has(value)) return "[Truncated]";
  seen.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((v) => redactSecrets(v, depth + 1, seen));
  } else {
    const obj = value as Record<string, unknown>;
    const isSecret = obj.kind === "Secret";
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (isSecret && (k === "data" || k === "stringData")) copy[k] = redactValues(v);
      else if (isSensitiveKey(k) && v !== undefined && v !== null && v !== "" && !isKubeObject(v)) copy[k] = REDACTED;
      else copy[k] = redactSecrets(v, depth + 1, seen);
    }
    out = copy;
  }
  seen.delete(value);
  return out;
}

export function parseLogLevel(level: string): LogLevel {
  const normalised = level.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(normalised)) return normalised as LogLevel;
  throw new Error(`invalid log level "${level}": expected one of ${LOG_LEVELS.join(", ")}`);
}

/**
 * Wraps a destination so every JSON line is redacted before it is written. Redacting whole lines (rather than in a
 * pino formatter) also covers child-logger bindings, which pino serialises once without formatters, and the
 * messages and stacks of serialised errors.
 */
function redactingDestination(dest: DestinationStream): DestinationStream & { flushSync?: () => void } {
  const target = dest as DestinationStream & { flushSync?: () => void };
  return {
    write(line: string): void {
      let out = line;
      try {
        out = `${JSON.stringify(redactSecrets(JSON.parse(line)))}\n`;
      } catch {
        // Not JSON (cannot happen with pino's own output): still scrub inline credentials.
        out = redactSecrets(line) as string;
      }
      target.write(out);
    },
    flushSync: target.flushSync ? () => target.flushSync?.() : undefined,
  };
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = parseLogLevel(opts.level ?? "info");
  const destination = opts.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level,
      base: opts.name ? { logger: opts.name } : {},
      messageKey: "msg",
      errorKey: "error",
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    redactingDestination(destination),
  );
}

/** The per-controller logger: controller-runtime's `controller`, `controllerGroup`, `controllerKind` keys. */
export function controllerLogger(base: Logger, c: { controller: string; group: string; kind: string }): Logger {
  return base.child({ controller: c.controller, controllerGroup: c.group, controllerKind: c.kind });
}

/** The per-reconcile logger: `<Kind>: {name, namespace}`, `namespace`, `name`, `reconcileID`. */
export function reconcileLogger(
  controller: Logger,
  kind: string,
  ref: { namespace?: string; name: string },
  reconcileID: string,
): Logger {
  const namespace = ref.namespace ?? "";
  return controller.child({ [kind]: { name: ref.name, namespace }, namespace, name: ref.name, reconcileID });
}
