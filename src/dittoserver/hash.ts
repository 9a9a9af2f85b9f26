/**
 * The configuration hash stamped on the pod template. It changes exactly when something the running server has
 * read at start-up changes: the rendered config file and the Secret values the pod consumes as env or as files
 * it does not hot-reload. It deliberately ignores `metadata.generation` and anything that never reaches the pod
 * (Service annotations, Percona settings, …), so unrelated edits never restart the file server.
 */
import { createHash } from "node:crypto";

/** Marker hashed for a consumed key that is absent, distinct from any value (including the empty one). */
const ABSENT = "\u0000absent";

/** `name/key` identifying one consumed Secret key. */
export function secretValueKey(secretName: string, key: string): string {
  return `${secretName}/${key}`;
}

/**
 * Hex SHA-256 over the rendered config and the consumed Secret values. Every field is length-prefixed so no
 * two different inputs can produce the same byte stream; Secret entries are sorted so the order the reconciler
 * read them in does not matter. Values are taken as stored in `Secret.data` (base64): equal data, equal hash,
 * no decoding needed.
 *
 * @param config  the rendered `config.yaml`
 * @param secretValues  `secretValueKey(name, key)` → `Secret.data[key]`, or undefined when the key is absent
 */
export function configHash(config: string, secretValues: Readonly<Record<string, string | undefined>>): string {
  const hash = createHash("sha256");
  const field = (label: string, value: string): void => {
    const labelBytes = Buffer.from(label, "utf8");
    const valueBytes = Buffer.from(value, "utf8");
    hash.update(`${labelBytes.length}:`);
    hash.update(labelBytes);
    hash.update(`${valueBytes.length}:`);
    hash.update(valueBytes);
  };
  field("config", config);
  for (const key of Object.keys(secretValues).sort()) {
    field(`secret:${key}`, secretValues[key] ?? ABSENT);
  }
  return hash.digest("hex");
}
