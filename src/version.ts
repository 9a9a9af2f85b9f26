/** The operator's own version; the chart's appVersion and the image tag follow it. */
export const OPERATOR_VERSION = "0.1.0";
