/**
 * Writes the sample JSON files from the sample definitions in index.ts.
 * Run after changing a sample: `npx tsx connectors/shopify/samples/generate.ts`.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sampleBodies, type SampleFileName } from './index.js';

for (const name of Object.keys(sampleBodies) as SampleFileName[]) {
  const path = fileURLToPath(new URL(`./${name}`, import.meta.url));
  writeFileSync(path, sampleBodies[name]());
  console.log(`wrote ${path}`);
}
