/**
 * Validation of rendered `config.yaml` files against the JSON Schema the server itself publishes
 * (`dfs config schema`, draft 2020-12, `additionalProperties: false` everywhere).
 *
 * That schema is a reflection of the Go structs and is stricter than the loader in two ways that no config file
 * could satisfy, so they are relaxed here, and only these:
 * - every property is listed in `required`, although the loader fills absent keys with defaults (an empty file
 *   validates with `dfs config validate`): `required` is dropped;
 * - `time.Duration` fields are typed `integer` (nanoseconds), although YAML files carry Go duration strings
 *   (`30s`): such fields also accept a Go duration string. Which fields are durations is not hard-coded: they
 *   are the integer-typed keys that `dfs config show` prints as strings.
 * Unknown keys, wrong types and misplaced blocks are still rejected.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { runDfs } from "./dfs.ts";

type Schema = Record<string, unknown>;

/** Go's time.ParseDuration syntax (signed, decimal fractions, units ns…h), or "0". */
export const GO_DURATION = "^[-+]?(0|([0-9]*(\\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+)$";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Dotted keys whose effective value (from `dfs config show`) is a string. */
function stringKeys(value: unknown, prefix = "", out = new Set<string>()): Set<string> {
  if (!isRecord(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === "string") out.add(key);
    else stringKeys(v, key, out);
  }
  return out;
}

/** Returns the relaxed copy and the keys that were turned into durations (for the report and for tests). */
export function relaxSchema(schema: Schema, shownConfig: unknown): { schema: Schema; durationKeys: string[] } {
  const strings = stringKeys(shownConfig);
  const durationKeys: string[] = [];
  const visit = (node: Schema, path: string): Schema => {
    const out: Schema = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === "required") continue;
      if (k === "properties" && isRecord(v)) {
        out.properties = Object.fromEntries(
          Object.entries(v).map(([name, child]) => [name, visit(child as Schema, path ? `${path}.${name}` : name)]),
        );
      } else if (isRecord(v) && (k === "additionalProperties" || k === "items")) {
        out[k] = visit(v, `${path}.*`);
      } else {
        out[k] = v;
      }
    }
    if (out.type === "integer" && strings.has(path)) {
      durationKeys.push(path);
      delete out.type;
      out.anyOf = [{ type: "integer" }, { type: "string", pattern: GO_DURATION }];
    }
    return out;
  };
  return { schema: visit(schema, ""), durationKeys: durationKeys.sort() };
}

export interface ConfigSchema {
  durationKeys: string[];
  /** Problems of a config text (YAML) against the schema; empty when valid. */
  problems(configYaml: string): string[];
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const extra = e.keyword === "additionalProperties" ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : "";
    return `${e.instancePath || "/"} ${e.message ?? e.keyword}${extra}`;
  });
}

/** Fetches the schema and the effective defaults from the binary, in an isolated home. */
export async function loadConfigSchema(binary: string, home: string): Promise<ConfigSchema> {
  const env = { XDG_CONFIG_HOME: `${home}/config`, XDG_STATE_HOME: `${home}/state` };
  const schemaRun = await runDfs(binary, ["config", "schema"], env, home);
  if (schemaRun.code !== 0) throw new Error(`dfs config schema failed: ${schemaRun.stderr}`);
  const showRun = await runDfs(binary, ["config", "show", "--output", "yaml"], env, home);
  if (showRun.code !== 0) throw new Error(`dfs config show failed: ${showRun.stderr}`);
  const raw = JSON.parse(schemaRun.stdout) as Schema;
  if (raw.$schema !== "https://json-schema.org/draft/2020-12/schema") throw new Error(`unexpected schema dialect ${String(raw.$schema)}`);
  const { schema, durationKeys } = relaxSchema(raw, parse(showRun.stdout));
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate: ValidateFunction = ajv.compile(schema);
  return {
    durationKeys,
    problems: (configYaml) => {
      const value: unknown = parse(configYaml);
      return validate(value ?? {}) ? [] : describe(validate.errors);
    },
  };
}
