import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { MAPPING_JSON_SCHEMA_FILE, mappingJsonSchemaText } from '../../src/mapping/json-schema.js';

describe('schemas/mapping.v1.schema.json', () => {
  it('is what the zod format generates (regenerate: node --import tsx src/mapping/write-json-schema.ts)', async () => {
    expect(await readFile(MAPPING_JSON_SCHEMA_FILE, 'utf8')).toBe(mappingJsonSchemaText());
  });

  it('is draft-07 and closed', () => {
    const schema = JSON.parse(mappingJsonSchemaText());
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['apiVersion', 'kind', 'metadata', 'source', 'target', 'fields']);
    expect(schema.definitions.PathNode.additionalProperties).toBe(false);
  });
});
