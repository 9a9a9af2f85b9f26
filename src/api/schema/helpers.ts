/**
 * Kubernetes-flavoured TypeBox helpers. The schema is written once with TypeBox so that TypeScript types and the
 * CRD's OpenAPI schema cannot drift; these helpers keep the TypeBox output close to a structural schema, and
 * `src/api/crd.ts` finishes the job (enums, maps, int-or-string, defaulted fields not required).
 *
 * Convention: a property that carries a `default` is **not** wrapped in `Type.Optional`. The API server applies
 * the default whenever the parent object exists, so after defaulting the field is always present and the TS type
 * says so; the CRD generator drops defaulted properties from `required`.
 */
import { Type } from "@sinclair/typebox";
import type { SchemaOptions, TSchema, TUnsafe } from "@sinclair/typebox";
import type { ObjectMeta } from "../../runtime/objects.ts";

/** One `x-kubernetes-validations` entry (CEL). `reason` must be one of the four the API server knows. */
export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
  fieldPath?: string;
}

/** Schema options carrying CEL rules; spread into a TypeBox options object. */
export function cel(...rules: CelRule[]): { "x-kubernetes-validations": CelRule[] } {
  return { "x-kubernetes-validations": rules };
}

/** A closed set of strings: TypeBox union of literals, emitted as `{type: string, enum}` in the CRD. */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  // Runtime value is a real TypeBox union (so Value.Check works); the static type is the string literal union.
  const union: TSchema = Type.Union(values.map((v) => Type.Literal(v)), options);
  return union as TUnsafe<T[number]>;
}

/** string → T map with a bounded number of entries (maps a CEL rule may iterate must be bounded). */
export function StringMap<T extends TSchema>(value: T, description: string, maxProperties = 64) {
  return Type.Record(Type.String(), value, { description, maxProperties });
}


/** Kubernetes resource quantity, number or string (`x-kubernetes-int-or-string`). */
export const QUANTITY_PATTERN =
  "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

export function IntOrString(options: SchemaOptions & { pattern?: string } = {}) {
  const { pattern, ...rest } = options;
  return Type.Union(
    [Type.Integer(), Type.String(pattern === undefined ? { maxLength: 64 } : { pattern, maxLength: 64 })],
    { ...rest, "x-kubernetes-int-or-string": true },
  );
}

/** DNS-1123 subdomain: names of Secrets, ConfigMaps, StorageClasses, PriorityClasses. */
export const DNS_SUBDOMAIN_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/** Keys of Secret/ConfigMap data. */
export const DATA_KEY_PATTERN = "^[-._a-zA-Z0-9]+$";
/** PVC-style sizes the operator can compare and grow (binary units only, whole numbers). */
export const SIZE_PATTERN = "^[0-9]+(Mi|Gi|Ti)$";
/** Go durations restricted to whole hours/minutes/seconds, e.g. `30s`, `1m30s`, `168h`. */
export const DURATION_PATTERN = "^([0-9]+(h|m|s))+$";

export function ObjectName(description: string) {
  return Type.String({ description, minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN_PATTERN });
}

export function DataKey(description: string, options: SchemaOptions = {}) {
  return Type.String({ description, minLength: 1, maxLength: 253, pattern: DATA_KEY_PATTERN, ...options });
}

export function Size(description: string, options: SchemaOptions = {}) {
  return Type.String({ description, pattern: SIZE_PATTERN, maxLength: 32, ...options });
}

export function Duration(description: string, options: SchemaOptions = {}) {
  return Type.String({ description, pattern: DURATION_PATTERN, maxLength: 32, ...options });
}

export function Port(description: string, options: SchemaOptions = {}) {
  return Type.Integer({ description, format: "int32", minimum: 1, maximum: 65535, ...options });
}

/**
 * Reference to one key of a Secret in the DittoServer's namespace. `key` is checked by CEL rather than by
 * `required` so the error says what is wrong ("key is required when name is set", as the reference webhook did).
 */
export function SecretKeyRef(description: string) {
  return Type.Object(
    {
      name: ObjectName("Name of the Secret, in the DittoServer's namespace."),
      key: Type.Optional(DataKey("Key inside the Secret's data. Required.")),
    },
    {
      description,
      ...cel({
        rule: "has(self.key)",
        message: "key is required when name is set",
        reason: "FieldValueRequired",
        fieldPath: ".key",
      }),
    },
  );
}

/** Reference to a whole Secret (LocalObjectReference shape). */
export function SecretRef(description: string) {
  return Type.Object({ name: ObjectName("Name of the Secret, in the DittoServer's namespace.") }, { description });
}

/** Rule: once created, an optional string field may neither change nor be added or removed. */
export function immutableOptional(field: string, what: string): CelRule {
  return {
    rule: `has(self.${field}) == has(oldSelf.${field}) && (!has(self.${field}) || self.${field} == oldSelf.${field})`,
    message: `${what} is immutable: it cannot be set, changed or removed after creation`,
    fieldPath: `.${field}`,
  };
}

/** Rule on a size field: a volume of zero bytes is refused by the API server (PVC requests must be greater than zero). */
export function positiveSize(what: string): CelRule {
  return { rule: "quantity(self).isGreaterThan(quantity('0'))", message: `${what} must be greater than zero` };
}

/** Rule on a size field: it may grow (the operator expands the PVC) but never shrink. */
export function growOnly(what: string): CelRule {
  return {
    rule: "quantity(self).compareTo(quantity(oldSelf)) >= 0",
    message: `${what} cannot shrink (volumes can only be expanded)`,
  };
}

/** Standard object metadata: the API server validates it; the schema only says it is there. */
export const ObjectMetaSchema: TUnsafe<ObjectMeta> = Type.Unsafe<ObjectMeta>(Type.Object({}, { description: "Standard object metadata." }));

/** Rule: once created, `field` (a required object or scalar) may not change. */
export function immutable(field: string, what: string): CelRule {
  return { rule: `self.${field} == oldSelf.${field}`, message: `${what} is immutable`, fieldPath: `.${field}` };
}
