/**
 * How the operator reaches one DittoServer's API and where it keeps its account: the endpoint from the pod IP
 * and the spec (never from a Secret, an annotation or any free-form string), the TLS material from the Secrets the
 * spec names, and the operator-credentials Secret the account lives in.
 */
import { createHash } from "node:crypto";
import type { DittoServer } from "../api/types.ts";
import { accountSecretData } from "../dittofs/account.ts";
import type { Account } from "../dittofs/account.ts";
import type { ApiEndpoint } from "../dittofs/client.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { childMetadata, COMPONENTS } from "./labels.ts";
import { childNames } from "./names.ts";

/** The reference's name for the Secret holding the operator's DittoFS account; a migrated server keeps it. */
export function operatorCredentialsSecretName(serverName: string): string {
  return `${serverName}-operator-credentials`;
}

/** Keys of the Secrets the endpoint's TLS material comes from. */
export const TLS_KEYS = { ca: "ca.crt", cert: "tls.crt", key: "tls.key" } as const;

/** The DNS name the API's certificate must carry: the API Service's, as clients in the cluster name it. */
export function apiServerName(server: DittoServer): string {
  return `${childNames(server.metadata.name ?? "").apiService}.${server.metadata.namespace ?? ""}.svc`;
}

/** Decoded data of the TLS Secrets the spec names (the caller reads them from its cache). */
export interface TlsMaterial {
  /** Data of `controlPlane.certSecretName`. */
  serverCert?: Readonly<Record<string, string>> | undefined;
  /** Data of `controlPlane.operatorClientCertSecretName`. */
  operatorCert?: Readonly<Record<string, string>> | undefined;
}

export type EndpointResult = { ok: true; endpoint: ApiEndpoint } | { ok: false; message: string };

/**
 * The endpoint of the server's API at `podIP`: plain HTTP, or HTTPS verified against `ca.crt` of the certificate
 * Secret for the API Service's name, with the operator's client certificate when mTLS is on. A missing piece is a
 * message for a condition (the operator cannot authenticate), not a connection attempt that would fail anyway.
 */
export function apiEndpoint(server: DittoServer, podIP: string, tls: TlsMaterial): EndpointResult {
  const cp = server.spec.controlPlane;
  const port = cp.port;
  if (!cp.certSecretName) return { ok: true, endpoint: { podIP, port } };
  const ca = tls.serverCert?.[TLS_KEYS.ca];
  if (!ca) return { ok: false, message: `Secret ${cp.certSecretName} has no ${TLS_KEYS.ca}: the operator cannot verify the API's certificate` };
  let clientCertificate: { cert: string; key: string } | undefined;
  if (cp.clientCASecretName) {
    const name = cp.operatorClientCertSecretName;
    if (!name) return { ok: false, message: "mTLS is on (clientCASecretName) but controlPlane.operatorClientCertSecretName is not set: the operator has no client certificate to present" };
    const cert = tls.operatorCert?.[TLS_KEYS.cert];
    const key = tls.operatorCert?.[TLS_KEYS.key];
    if (!cert || !key) return { ok: false, message: `Secret ${name} needs ${TLS_KEYS.cert} and ${TLS_KEYS.key} (the operator's client certificate)` };
    clientCertificate = { cert, key };
  }
  return { ok: true, endpoint: { podIP, port, tls: { ca, serverName: apiServerName(server), clientCertificate } } };
}

/**
 * A fingerprint of everything an authentication attempt depends on besides the server (bootstrap admin password,
 * stored account, TLS material), for ./../dittofs/backoff.ts: a terminal failure is retried at once when it changes.
 * One-way and length-prefixed, so it can sit in memory or a log without revealing anything.
 */
export function authInputsFingerprint(adminPassword: string, account: Account | undefined, endpoint: ApiEndpoint | undefined): string {
  const hash = createHash("sha256");
  const parts = [adminPassword, account?.password ?? "", endpoint?.tls?.ca ?? "", endpoint?.tls?.clientCertificate?.cert ?? "", endpoint?.tls?.serverName ?? ""];
  for (const part of parts) hash.update(`${Buffer.byteLength(part)}:${part}`);
  return hash.digest("hex").slice(0, 32);
}

/** The operator-credentials Secret for an account, owned by the DittoServer. Apply it only when the data changed. */
export function desiredOperatorCredentialsSecret(server: DittoServer, account: Account): KubeObject {
  const data = Object.fromEntries(Object.entries(accountSecretData(account)).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: childMetadata(server, operatorCredentialsSecretName(server.metadata.name ?? ""), COMPONENTS.credentials),
    type: "Opaque",
    data,
  };
}
