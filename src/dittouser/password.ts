/**
 * Where a DittoUser's password comes from (pure): the Secret the spec names, or the Secret `<name>-password` the
 * operator generates once (owned by the DittoUser, so it goes with it) and never rewrites. The password is known
 * only here and in the API call bodies; what is recorded is the Secret's uid/resourceVersion, so a change of the
 * Secret is a new version and the password is set again (rotation).
 */
import type { DittoUser } from "../api/schema/dittouser.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { controllerOwnerReference } from "../runtime/owner.ts";
import type { Password } from "./plan.ts";

/** Random bytes behind a generated password: 32 base64url characters. */
export const GENERATED_PASSWORD_BYTES = 24;
export const GENERATED_PASSWORD_KEY = "password";

export function generatedSecretName(user: DittoUser): string {
  return `${user.metadata.name ?? ""}-password`;
}

/** The Secret and key the password is read from. */
export function passwordSource(user: DittoUser): { name: string; key: string; generated: boolean } {
  const ref = user.spec.passwordSecretRef;
  return ref ? { name: ref.name, key: ref.key, generated: false } : { name: generatedSecretName(user), key: GENERATED_PASSWORD_KEY, generated: true };
}

/** The Secret to create when the spec names none and it does not exist yet; `random` supplies the password. */
export function generatedPasswordSecret(user: DittoUser, random: Uint8Array): KubeObject {
  if (random.length < GENERATED_PASSWORD_BYTES) throw new Error(`a generated password needs ${GENERATED_PASSWORD_BYTES} random bytes`);
  const password = Buffer.from(random.subarray(0, GENERATED_PASSWORD_BYTES)).toString("base64url");
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: generatedSecretName(user),
      namespace: user.metadata.namespace,
      labels: { "app.kubernetes.io/managed-by": "dittofs-operator", "app.kubernetes.io/component": "user-password" },
      ownerReferences: [controllerOwnerReference(user)],
    },
    type: "Opaque",
    data: { [GENERATED_PASSWORD_KEY]: Buffer.from(password, "utf8").toString("base64") },
  };
}

export type PasswordResolution = { ok: true; password: Password } | { ok: false; message: string };

/** The password in `secret` (as read, base64 data) under the source's key, with its version. */
export function resolvePassword(user: DittoUser, secret: KubeObject | undefined): PasswordResolution {
  const source = passwordSource(user);
  if (!secret) return { ok: false, message: `Secret ${source.name} does not exist` };
  const data = (secret as { data?: Record<string, string> }).data ?? {};
  const encoded = data[source.key];
  const value = encoded === undefined ? "" : Buffer.from(encoded, "base64").toString("utf8");
  if (value === "") return { ok: false, message: `Secret ${source.name} has no key ${source.key} (or it is empty)` };
  return { ok: true, password: { value, version: `${secret.metadata.uid ?? ""}/${secret.metadata.resourceVersion ?? ""}` } };
}
