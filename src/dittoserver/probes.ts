/**
 * Health probes of the DittoFS container. Timings match the reference operator exactly; the handler follows the
 * API listener's mode: plain HTTP, HTTPS when the API serves TLS, and a TCP check under mTLS (the server then
 * demands a client certificate on every route, health included, which the kubelet cannot present).
 */
import { PORT_NAMES } from "./names.ts";

export type ApiListenerMode = "http" | "https" | "mtls";

export interface Probe {
  httpGet?: { path: string; port: string; scheme: "HTTP" | "HTTPS" };
  tcpSocket?: { port: string };
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

export interface ContainerProbes {
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe: Probe;
}

export const HEALTH_PATH = "/health";
export const READY_PATH = "/health/ready";

interface Timing {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

/** Startup allows 30 × 5 s = 150 s for migrations and store recovery before liveness takes over. */
export const STARTUP_TIMING: Timing = {
  initialDelaySeconds: 0,
  periodSeconds: 5,
  timeoutSeconds: 5,
  successThreshold: 1,
  failureThreshold: 30,
};
export const LIVENESS_TIMING: Timing = {
  initialDelaySeconds: 15,
  periodSeconds: 10,
  timeoutSeconds: 5,
  successThreshold: 1,
  failureThreshold: 3,
};
export const READINESS_TIMING: Timing = {
  initialDelaySeconds: 10,
  periodSeconds: 5,
  timeoutSeconds: 5,
  successThreshold: 1,
  failureThreshold: 3,
};

function handler(mode: ApiListenerMode, path: string): Pick<Probe, "httpGet" | "tcpSocket"> {
  if (mode === "mtls") return { tcpSocket: { port: PORT_NAMES.api } };
  return { httpGet: { path, port: PORT_NAMES.api, scheme: mode === "https" ? "HTTPS" : "HTTP" } };
}

export function containerProbes(mode: ApiListenerMode): ContainerProbes {
  return {
    startupProbe: { ...handler(mode, HEALTH_PATH), ...STARTUP_TIMING },
    livenessProbe: { ...handler(mode, HEALTH_PATH), ...LIVENESS_TIMING },
    readinessProbe: { ...handler(mode, READY_PATH), ...READINESS_TIMING },
  };
}
