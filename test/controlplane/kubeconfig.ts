/** Kubeconfig files for the local control plane: one cluster, one user, one context, credentials inlined. */
import { readFileSync } from "node:fs";
import { stringify } from "yaml";

export type KubeconfigCredentials =
  | { clientCertPath: string; clientKeyPath: string }
  | { token: string };

const NAME = "dittofs-test";

function base64File(path: string): string {
  return readFileSync(path).toString("base64");
}

export function renderKubeconfig(opts: {
  server: string;
  caCertPath: string;
  credentials: KubeconfigCredentials;
  namespace?: string;
}): string {
  const user =
    "token" in opts.credentials
      ? { token: opts.credentials.token }
      : {
          "client-certificate-data": base64File(opts.credentials.clientCertPath),
          "client-key-data": base64File(opts.credentials.clientKeyPath),
        };
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: NAME, cluster: { server: opts.server, "certificate-authority-data": base64File(opts.caCertPath) } }],
    users: [{ name: NAME, user }],
    contexts: [
      { name: NAME, context: { cluster: NAME, user: NAME, ...(opts.namespace ? { namespace: opts.namespace } : {}) } },
    ],
    "current-context": NAME,
    preferences: {},
  });
}
