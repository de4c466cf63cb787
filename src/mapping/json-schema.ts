/**
 * The JSON Schema editors use for mapping files (yaml-language-server supports draft-07 and below),
 * generated from the zod definition in format.ts so the two cannot drift apart.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { MappingFile } from './format.js';

export const MAPPING_JSON_SCHEMA_FILE = fileURLToPath(new URL('../../schemas/mapping.v1.schema.json', import.meta.url));

export function mappingJsonSchemaText(): string {
  const schema = z.toJSONSchema(MappingFile, { target: 'draft-7' });
  return `${JSON.stringify({ ...schema, title: 'Puente document mapping (puente.mapping/v1)' }, null, 2)}\n`;
}
