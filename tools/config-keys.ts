import { z } from 'zod';
import { configSchema } from '../agent/config/schema.js';

/**
 * The config schema as JSON Schema, and the same flattened into one row per
 * key path (`cameras[].queue_capacity`): what the reference documents and
 * what the example file is checked against.
 */

export type JsonSchema = z.core.JSONSchema.JSONSchema;

export interface ConfigKey {
  /** `mqtt.tls.ca`, `cameras[].name`. */
  readonly path: string;
  readonly schema: JsonSchema;
  /** Must be set whenever the section that holds it is. */
  readonly required: boolean;
  /** A value, not a section of further keys. */
  readonly leaf: boolean;
}

/**
 * Input side, so keys with a default are optional, as in the file an
 * operator writes; draft-07, the newest draft the YAML language server
 * (VS Code, Neovim, Helix) fully supports. A default computed at start-up
 * keeps its words (`defaultText`) and loses the value this machine computed.
 */
export function configJsonSchema(): JsonSchema {
  return z.toJSONSchema(configSchema, {
    io: 'input',
    target: 'draft-7',
    override: ({ jsonSchema }) => {
      if (jsonSchema.defaultText !== undefined) delete jsonSchema.default;
    },
  });
}

/** Every key path in schema order, each section before the keys inside it. */
export function configKeys(root: JsonSchema = configJsonSchema()): ConfigKey[] {
  const keys: ConfigKey[] = [];
  const walk = (node: JsonSchema, prefix: string): void => {
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      if (typeof child === 'boolean') continue;
      const path = prefix + name;
      const inside = sectionInside(child);
      keys.push({ path, schema: child, required: node.required?.includes(name) ?? false, leaf: inside === undefined });
      if (inside) walk(inside.schema, path + inside.suffix);
    }
  };
  walk(root, '');
  return keys;
}

/** The object a key's further keys live in: its own properties, or those of the items of a list of objects (`cameras[]`). */
function sectionInside(node: JsonSchema): { schema: JsonSchema; suffix: string } | undefined {
  if (node.type === 'object' && node.properties) return { schema: node, suffix: '.' };
  const items = node.items;
  if (node.type === 'array' && items && typeof items === 'object' && !Array.isArray(items) && items.properties) return { schema: items, suffix: '[].' };
  return undefined;
}

