/**
 * Writes schemas/mapping.v1.schema.json from the zod format.
 * Run: node --import tsx src/mapping/write-json-schema.ts
 * A test fails when the committed file differs from a fresh generation.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MAPPING_JSON_SCHEMA_FILE, mappingJsonSchemaText } from './json-schema.js';

await mkdir(path.dirname(MAPPING_JSON_SCHEMA_FILE), { recursive: true });
await writeFile(MAPPING_JSON_SCHEMA_FILE, mappingJsonSchemaText());
console.log(`wrote ${path.relative(process.cwd(), MAPPING_JSON_SCHEMA_FILE)}`);
