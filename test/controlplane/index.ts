/** The real local control plane for integration tests, the demo and benchmarks. */
export type { Component, ControlPlane, ControlPlaneOptions } from "./types.ts";
export { startControlPlane } from "./controlplane.ts";
export { signClientCertificate } from "./pki.ts";
export type { ClientCertificate } from "./pki.ts";
export { renderKubeconfig } from "./kubeconfig.ts";
export type { KubeconfigCredentials } from "./kubeconfig.ts";
export { resolveBinDir } from "./binaries.ts";
export { RUNNER_LABEL } from "./pods/runner.ts";
