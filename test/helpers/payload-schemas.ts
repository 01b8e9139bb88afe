import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { REPO_ROOT } from './testdata.js';

// ajv-formats is CommonJS: under Node's ESM interop its default import is module.exports, whose .default is the plugin.
const addFormats = addFormatsModule.default ?? (addFormatsModule as unknown as typeof addFormatsModule.default);

/** The shipped JSON Schemas of the MQTT payloads, compiled once (strict: a sloppy schema fails the tests too). */
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);

function compile(name: string): ValidateFunction {
  return ajv.compile(JSON.parse(readFileSync(join(REPO_ROOT, 'config', 'mqtt-schemas', `${name}.schema.json`), 'utf8')) as object);
}

const validators = { detections: compile('detections'), metrics: compile('metrics'), events: compile('events'), counts: compile('counts'), discovery: compile('home-assistant-discovery') };
export type PayloadKind = keyof typeof validators;

/** ajv's errors for `payload` against the shipped schema; empty when it matches. */
export function schemaErrors(kind: PayloadKind, payload: unknown): ErrorObject[] {
  const validate = validators[kind];
  return validate(payload) ? [] : [...(validate.errors ?? [])];
}

/** Throws with ajv's messages when `payload` does not match the schema. */
export function assertMatchesSchema(kind: PayloadKind, payload: unknown): void {
  const errors = schemaErrors(kind, payload);
  if (errors.length > 0) throw new Error(`${kind} payload does not match its schema: ${ajv.errorsText(errors)}\n${JSON.stringify(payload).slice(0, 500)}`);
}
