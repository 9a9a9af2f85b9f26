/**
 * Decoding of the watch protocol: newline-delimited JSON frames `{type, object}` arriving in arbitrary chunks
 * (a frame may be split anywhere, even inside a multi-byte UTF-8 character; a chunk may hold many frames).
 * Pure: no I/O.
 */
import type { Status } from "./errors.ts";
import type { KubeObject } from "./objects.ts";

export type WatchFrame =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: KubeObject }
  | { type: "BOOKMARK"; object: KubeObject }
  | { type: "ERROR"; object: Status };

/** Splits a byte stream into complete lines, keeping the incomplete tail for the next chunk. */
export class LineDecoder {
  private readonly decoder = new TextDecoder("utf-8");
  private tail = "";

  /** Feed one chunk; returns the complete non-empty lines it finished. */
  push(chunk: Uint8Array | string): string[] {
    const text = this.tail + (typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true }));
    const lines = text.split("\n");
    this.tail = lines.pop() ?? "";
    return lines.map(stripCr).filter((l) => l.length > 0);
  }

  /** End of stream: the last line if it was not newline-terminated. */
  end(): string[] {
    const rest = stripCr(this.tail + this.decoder.decode());
    this.tail = "";
    return rest.trim() ? [rest] : [];
  }

  /** Bytes held back waiting for a newline (a guard against a server that never sends one). */
  pendingLength(): number {
    return this.tail.length;
  }
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

const FRAME_TYPES = new Set(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]);

/** Parse one line into a frame; throws a descriptive Error on malformed input. */
export function parseWatchFrame(line: string): WatchFrame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw new Error(`malformed watch frame (not JSON): ${truncate(line)}`, { cause: err });
  }
  if (parsed === null || typeof parsed !== "object") throw new Error(`malformed watch frame: ${truncate(line)}`);
  const { type, object } = parsed as { type?: unknown; object?: unknown };
  if (typeof type !== "string" || !FRAME_TYPES.has(type)) {
    throw new Error(`unknown watch frame type ${JSON.stringify(type)}`);
  }
  if (object === null || typeof object !== "object") throw new Error(`watch frame ${type} without object`);
  if (type !== "ERROR") {
    const meta = (object as { metadata?: unknown }).metadata;
    if (meta === null || typeof meta !== "object") throw new Error(`watch frame ${type} without metadata`);
  }
  return parsed as WatchFrame;
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
