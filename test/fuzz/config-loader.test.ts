/**
 * Fuzzing the configuration loader (parseConfig) with random YAML, the shipped configuration with a
 * line changed, random environments for its ${NAME} references, and hostile YAML. It returns a
 * configuration or throws a ConfigError whose every problem starts with the key (or the line) it is
 * about and says what is wrong — never another error, never a problem that names nothing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, parseConfig, type LoadedConfig } from '../../src/config.js';

const FILE = path.resolve('fuzz/puente.config.yaml');
const SHIPPED = readFileSync(path.resolve('puente.config.yaml'), 'utf8');
const ENV_NAMES = [...new Set([...SHIPPED.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!))];

/** `key: message` (a key path such as `connections[0].target`), `(top level): …`, `YAML syntax: …` or `line L, column C: …`. */
const NAMED_PROBLEM = /^(\(top level\)|YAML syntax|line \d+, column \d+|[A-Za-z0-9_$[-][^\n]*?): \S/;

const envValue = fc.oneof(fc.constantFrom('', '0', '-1', '70000', 'true', 'embedded', 'http://127.0.0.1:1', '${OTHER}', 'a: b', '[1', 'trace'), fc.string({ maxLength: 12 }));
const env = fc.dictionary(fc.constantFrom(...ENV_NAMES, 'OTHER'), envValue, { maxKeys: ENV_NAMES.length });

const edited = fc.tuple(fc.nat(10_000), fc.constantFrom('delete', 'duplicate', 'indent', 'overwrite'), fc.string({ maxLength: 10 })).map(([at, edit, text]) => {
  const lines = SHIPPED.split('\n');
  const i = at % lines.length;
  if (edit === 'delete') lines.splice(i, 1);
  else if (edit === 'duplicate') lines.splice(i, 0, lines[i]!);
  else if (edit === 'indent') lines[i] = `  ${lines[i]}`;
  else lines[i] = lines[i]!.slice(0, at % (lines[i]!.length + 1)) + text;
  return lines.join('\n');
});

const KEYS = ['server', 'dataDir', 'adminToken', 'mappingsDir', 'log', 'shopify', 'sandboxes', 'targets', 'connections', 'pipeline', 'other'];
const structured = fc
  .dictionary(fc.constantFrom(...KEYS), fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant('${MISSING_VAR}'), fc.constant({ port: '${PORT:-x}' })), { maxKeys: 6 })
  .map((value) => stringify(value));

const hostile = fc.constantFrom(
  '',
  '~',
  '"${FOO}"',
  '- ${FOO}',
  '${',
  'a: ${A:-',
  'shopify: { apiSecret: "${A}${B}" }',
  'a: &a [1]\nb: *missing',
  ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n'),
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `${'- '.repeat(2000)}x`,
  '__proto__: { polluted: true }\nshopify: { apiSecret: s }\ntargets: {}',
  'targets: { constructor: { type: apidian } }\nshopify: { apiSecret: s }',
  'connections: [{ id: a, source: { type: shopify }, target: nope }]\nshopify: { apiSecret: s }\ntargets: {}',
  '---\na: 1\n---\nb: 2',
  '!!binary aGVsbG8=',
  'server: { port: 1e400 }',
);

const text = fc.oneof(
  { arbitrary: fc.constant(SHIPPED), weight: 2 },
  { arbitrary: edited, weight: 4 },
  { arbitrary: structured, weight: 3 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => stringify(v)), weight: 1 },
  { arbitrary: fc.string({ maxLength: 120 }), weight: 1 },
  { arbitrary: hostile, weight: 2 },
);

function load(source: string, environment: NodeJS.ProcessEnv): LoadedConfig | undefined {
  try {
    return parseConfig(source, FILE, environment);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw new Error(`parseConfig threw ${(error as Error)?.name}: ${(error as Error)?.message}`);
    expect(error.file).toBe(FILE);
    expect(error.problems.length).toBeGreaterThan(0);
    for (const problem of error.problems) expect(problem, `problem does not name a key: ${JSON.stringify(problem)}`).toMatch(NAMED_PROBLEM);
    expect(error.message).toContain(FILE);
    return undefined;
  }
}

describe('configuration loader', () => {
  it('returns a configuration or a ConfigError whose every problem names its key', () => {
    let loaded = 0;
    fc.assert(
      fc.property(text, env, (source, environment) => {
        const config = load(source, environment);
        if (!config) return;
        loaded++;
        // What loads is usable as typed: every connection's target exists.
        for (const connection of config.config.connections) expect(config.config.targets[connection.target]).toBeDefined();
      }),
      { numRuns: 300 },
    );
    expect(loaded).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 60_000);

  it('names the variable and the key for an unset environment variable without default', () => {
    try {
      parseConfig('shopify: { apiSecret: "${NOT_SET_ANYWHERE}" }\ntargets: {}', FILE, {});
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'shopify.apiSecret: the environment variable NOT_SET_ANYWHERE is not set; set it or give a default as ${NOT_SET_ANYWHERE:-value}',
      ]);
    }
  });
});
