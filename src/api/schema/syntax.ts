/**
 * Kubernetes' own syntax rules, as CEL, for spec fields the operator copies into its children. The API server
 * checks these only when the child is written, which is too late: the DittoServer is stored and the reconciler
 * gets a 422 on every pass. Each rule mirrors a check of the API server (pkg/apis/core/validation and
 * apimachinery's validation, v1.36) and says in its message which field is wrong and what is expected;
 * `test/integration/api/hostile-specs.test.ts` proves on a real API server that no admitted spec renders a child
 * the API server refuses. Regular expressions avoid backslashes (character classes instead) so they read the
 * same in TypeScript, YAML and CEL.
 */
import { Type } from "@sinclair/typebox";
import { GROUP } from "../constants.ts";
import { cel, StringMap } from "./helpers.ts";
import type { CelRule } from "./helpers.ts";

/** DNS-1123 subdomain (each dot-separated part alphanumeric with inner '-'). */
const SUBDOMAIN = "[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
/** The name part of a qualified name: at most 63 characters. */
const NAME = "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?";
const QUALIFIED_NAME_RE = `^(${SUBDOMAIN}/)?${NAME}$`;
/** Label values: empty, or alphanumeric at both ends with '-', '_', '.' inside (length checked by maxLength 63). */
const LABEL_VALUE_RE = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";
/** A DNS-1123 label (namespace names), at most 63 characters. */
const DNS_LABEL_RE = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";
/** Sysctl names: segments separated by '.' or '/'. */
const SYSCTL_RE = "^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$";
/** Keys under the operator's API group (and its subdomains) belong to the operator, e.g. dittofs.dittofs.com/applied-hash. */
const RESERVED_PREFIX_RE = `^([-a-z0-9.]*[.])?${GROUP.replaceAll(".", "[.]")}/`;

// Double quotes only: these texts also go inside single-quoted CEL strings (messageExpression).
export const QUALIFIED_NAME_SYNTAX =
  '[prefix/]name: name at most 63 characters, alphanumeric at both ends with "-", "_" or "." inside; prefix a lowercase DNS subdomain of at most 253 characters';
export const LABEL_VALUE_SYNTAX = 'at most 63 characters, empty or alphanumeric at both ends with "-", "_" or "." inside';
export const RESERVED_PREFIX = `${GROUP}/`;

/** CEL: `x` (a string expression) is a qualified name: label keys, annotation keys, taint keys, topology keys. */
export function isQualifiedName(x: string): string {
  return `((${x}).matches('${QUALIFIED_NAME_RE}') && (${x}).indexOf('/') <= 253)`;
}

/** CEL: `x` is a valid label value. */
export function isLabelValue(x: string): string {
  return `${x}.matches('${LABEL_VALUE_RE}')`;
}

export function isDnsLabel(x: string): string {
  return `${x}.matches('${DNS_LABEL_RE}')`;
}

export function isSysctlName(x: string): string {
  return `${x}.matches('${SYSCTL_RE}')`;
}

/** CEL: `x` uses the operator's reserved prefix. */
function isReserved(x: string): string {
  return `${x}.matches('${RESERVED_PREFIX_RE}')`;
}

/** Names the first offending map key in a message (`what` is the field as the user wrote it; no single quotes in `problem`). */
function firstKey(what: string, bad: string, problem: string): string {
  return `'${what} key "' + self.filter(k, ${bad})[0] + '" ${problem}'`;
}

/** Keys of a map of labels or annotations: qualified names (annotation keys are compared lower-cased, like the API server). */
export function qualifiedKeys(what: string, kind: "label" | "annotation"): CelRule {
  const key = kind === "annotation" ? "k.lowerAscii()" : "k";
  return {
    rule: `self.all(k, ${isQualifiedName(key)})`,
    messageExpression: firstKey(what, `!${isQualifiedName(key)}`, `is not a valid ${kind} key (${QUALIFIED_NAME_SYNTAX})`),
  };
}

/** Values of a label map. */
export function labelValues(what: string): CelRule {
  return {
    rule: `self.all(k, ${isLabelValue("self[k]")})`,
    messageExpression: `'${what} value of key "' + self.filter(k, !${isLabelValue("self[k]")})[0] + '" is not a valid label value (${LABEL_VALUE_SYNTAX})'`,
  };
}

/** The operator's own prefix is reserved in maps that end up on its children. */
export function reservedPrefix(what: string): CelRule {
  return {
    rule: `self.all(k, !${isReserved("k")})`,
    messageExpression: firstKey(what, isReserved("k"), `uses the prefix ${RESERVED_PREFIX}, reserved for the labels and annotations of the operator`),
  };
}

/**
 * Annotations of one object may hold at most 256 KiB of keys and values (bytes); the operator adds its own
 * (config and applied hashes) to what the user gives, so the user gets 255 KiB.
 */
export const ANNOTATIONS_BUDGET_BYTES = 255 * 1024;

export function annotationsSize(what: string): CelRule {
  return {
    rule: `self.map(k, bytes(k).size() + bytes(self[k]).size()).sum() <= ${ANNOTATIONS_BUDGET_BYTES}`,
    message: `${what} may hold at most ${ANNOTATIONS_BUDGET_BYTES} bytes of keys and values in total (Kubernetes allows 256 KiB per object; the operator adds its own)`,
  };
}

/**
 * A map of labels (`what` names the field in messages): keys are qualified names, values label values. With
 * `reserved`, keys under the operator's prefix and the listed keys (labels the operator sets itself) are refused.
 */
export function LabelMap(what: string, description: string, maxProperties: number, reserved?: readonly string[]) {
  const rules = [qualifiedKeys(what, "label"), labelValues(what)];
  if (reserved) {
    rules.push(reservedPrefix(what));
    if (reserved.length > 0) {
      rules.push({ rule: reserved.map((k) => `!('${k}' in self)`).join(" && "), message: `${what} cannot set the operator's labels ${reserved.join(", ")}` });
    }
  }
  return { ...StringMap(Type.String({ maxLength: 63 }), description, maxProperties), ...cel(...rules) };
}

/** A map of annotations the operator puts on a child: qualified keys, not under the operator's prefix, bounded in bytes. */
export function AnnotationMap(what: string, description: string, maxProperties: number, ...more: CelRule[]) {
  return {
    ...StringMap(Type.String({ maxLength: 4096 }), description, maxProperties),
    ...cel(qualifiedKeys(what, "annotation"), reservedPrefix(what), annotationsSize(what), ...more),
  };
}

/**
 * Pod annotations the API server interprets and validates on the pod (mirror pods, deletion cost, and the old
 * annotation forms of tolerations, seccomp and AppArmor): the spec has fields for what they mean, so they are refused.
 */
const POD_SEMANTIC_ANNOTATION_RE =
  "^(kubernetes[.]io/config[.]mirror|scheduler[.]alpha[.]kubernetes[.]io/tolerations|controller[.]kubernetes[.]io/pod-deletion-cost|" +
  "seccomp[.]security[.]alpha[.]kubernetes[.]io/pod|container[.]seccomp[.]security[.]alpha[.]kubernetes[.]io/.*|" +
  "container[.]apparmor[.]security[.]beta[.]kubernetes[.]io/.*)$";

export const NO_POD_SEMANTIC_ANNOTATIONS: CelRule = {
  rule: `self.all(k, !k.matches('${POD_SEMANTIC_ANNOTATION_RE}'))`,
  messageExpression:
    `'podAnnotations key "' + self.filter(k, k.matches('${POD_SEMANTIC_ANNOTATION_RE}'))[0] + '" is interpreted by Kubernetes on the pod; ` +
    "use spec.tolerations, securityContext.seccompProfile or securityContext.appArmorProfile instead (mirror-pod and deletion-cost annotations do not apply to this pod)'",
};
