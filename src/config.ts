/**
 * Configuration: `puente.config.yaml` (or the file named by PUENTE_CONFIG), validated with zod at
 * start. String values may reference the environment as `${NAME}` or `${NAME:-default}`, so secrets
 * can stay out of the file. Errors name the key and say what to do.
 */
import { sourceTypes } from '../connectors/index.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { MAX_YAML_NESTING, yamlNestingProblem } from './ops/yaml-nesting.js';

export const DEFAULT_CONFIG_FILE = 'puente.config.yaml';

const Port = z.coerce.number().int().min(0).max(65535);

/**
 * A connection's source. Each source type validates its own block (connectors/index.ts `sourceTypes`),
 * as each target type validates its account block; errors come back named `connections[i].source.…`.
 */
const SourceBlock = z.looseObject({
  type: z.string().min(1, 'is required: shopify, woocommerce or odoo'),
});

const TaxIdPolicy = z.strictObject({
  /** Reject buyers whose tax id fails its check digit (needs_attention) instead of issuing. */
  validateCheckDigit: z.boolean().default(true),
  /**
   * Where the buyer's tax id is read, first match wins; none → the country's final consumer.
   * localized: Shopify's checkout tax fields (TAX_CREDENTIAL_CO, …); noteAttribute: the cart attribute
   * named below; company: the billing address's company field.
   */
  sources: z.array(z.enum(['localized', 'noteAttribute', 'company'])).default(['localized', 'noteAttribute', 'company']),
  noteAttribute: z.string().min(1).default('NIT'),
});

export const ConnectionConfig = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-_]*$/, 'use lower-case letters, digits, - and _'),
  source: SourceBlock,
  /** Name of an entry under `targets`. */
  target: z.string().min(1),
  /** Which event issues the invoice: the order being paid (default), created, or fulfilled. */
  trigger: z.enum(['paid', 'created', 'fulfilled']).default('paid'),
  /**
   * Minutes to wait after the trigger before building the invoice, for stores whose other apps still
   * edit the order after checkout; the invoice carries the order as it is when the delay ends.
   */
  triggerDelayMinutes: z.coerce.number().int().min(0).max(7 * 24 * 60).default(0),
  /** Orders that issue nothing unless enabled: test orders, drafts, orders whose total is zero. */
  issueFor: z
    .strictObject({ testOrders: z.boolean().default(false), drafts: z.boolean().default(false), zeroTotal: z.boolean().default(false) })
    .default({ testOrders: false, drafts: false, zeroTotal: false }),
  /** Minutes between reconciliation sweeps of the source (0: never). Default: the source type's. */
  sweepMinutes: z.coerce.number().min(0).optional(),
  /** Country whose tax-id rules apply to buyers (check digits, final consumer). */
  country: z.enum(['CO', 'VE', 'PY']).default('CO'),
  /** IANA timezone the documents are dated in (Colombia: America/Bogota). */
  timezone: z.string().default('America/Bogota'),
  /** Mapping ids to use instead of the registry's default choice, by document kind and stage. */
  mappings: z
    .strictObject({
      invoice: z.string().optional(),
      credit_note: z.string().optional(),
      wire_invoice: z.string().optional(),
      wire_credit_note: z.string().optional(),
      wire_debit_note: z.string().optional(),
    })
    .default({}),
  taxId: TaxIdPolicy.default({ validateCheckDigit: true, sources: ['localized', 'noteAttribute', 'company'], noteAttribute: 'NIT' }),
  /** Target-specific settings handed to the stage-2 mapping as `target`. */
  targetSettings: z.record(z.string(), z.unknown()).default({}),
});
export type ConnectionConfig = z.infer<typeof ConnectionConfig>;

export const PuenteConfig = z.strictObject({
  server: z
    .strictObject({
      port: Port.default(3000),
      host: z.string().default('127.0.0.1'),
      /** Largest webhook body accepted, in bytes (Shopify orders rarely pass 200 kB). */
      maxBodyBytes: z.coerce.number().int().positive().default(2 * 1024 * 1024),
    })
    .default({ port: 3000, host: '127.0.0.1', maxBodyBytes: 2 * 1024 * 1024 }),
  /** Where the embedded store keeps its files. */
  dataDir: z.string().default('./data'),
  /** Bearer token for the admin API. Empty on the embedded default: one is generated into dataDir. */
  adminToken: z.string().default(''),
  mappingsDir: z.string().default('./mappings'),
  log: z
    .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
    .default({ level: 'info' }),
  shopify: z.strictObject({
    apiKey: z.string().default(''),
    apiSecret: z.string().min(1, 'is required: the app\'s API secret key, used to verify webhook signatures (env SHOPIFY_API_SECRET)'),
    apiVersion: z.string().default('2026-01'),
    /**
     * Where Shopify reaches this Puente (https://puente.example.com), for the OAuth install's callback.
     * Empty: installing from Shopify is off (the rest runs); the settings page is reached with the admin token.
     */
    appUrl: z
      .string()
      .default('')
      .refine((url) => url === '' || /^https:\/\/[^/\s]+\/?$/.test(url) || /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\/?$/.test(url), {
        error: 'must be the app\'s public origin, https://host (http only for localhost), without a path (env SHOPIFY_APP_URL)',
      })
      .transform((url) => url.replace(/\/$/, '')),
    /** Admin API scopes asked for at install, comma-separated. */
    scopes: z
      .string()
      .default('read_orders,write_orders')
      .transform((text) => text.split(',').map((scope) => scope.trim()).filter(Boolean)),
    /**
     * The Admin API's origin, when it is not the shop's own https://<shop> — a local Shopify Admin
     * simulator for trials and end-to-end tests. Empty: Shopify itself.
     */
    adminOrigin: z
      .string()
      .default('')
      .refine((url) => url === '' || /^https?:\/\/[^\s]+$/.test(url), { error: 'must be an http(s) origin such as http://127.0.0.1:8080' })
      .transform((url) => url.replace(/\/$/, '')),
  }),
  /** Sandboxes `npm start` runs inside the same process, for targets whose baseUrl is `embedded`. */
  sandboxes: z
    .record(z.string(), z.strictObject({ port: Port.default(0), dataFile: z.string().optional() }))
    .default({}),
  /** Invoicing API accounts by name; each block is validated by its connector (`type`). */
  targets: z.record(z.string(), z.looseObject({ type: z.string() })),
  connections: z.array(ConnectionConfig).default([]),
  pipeline: z
    .strictObject({
      /** How often the pipeline looks for work when nothing pokes it. */
      tickMs: z.coerce.number().int().positive().default(500),
      /** How often an asynchronous batch's status is asked for. */
      statusPollMs: z.coerce.number().int().positive().default(2000),
    })
    .default({ tickMs: 500, statusPollMs: 2000 }),
  /** The embedded store's archive: finished records leave the hot file for `<dataDir>/archive/`. */
  store: z
    .strictObject({
      /** Hours an issued or skipped document stays in the hot file after its last change. */
      archiveAfterHours: z.coerce.number().min(0).default(24),
      /** Hours the dedupe keys of archived deliveries are kept: the longest redelivery window of a source (Shopify: 48 h). */
      dedupeWindowHours: z.coerce.number().min(0).default(72),
      /** Seconds between archiving passes. */
      archiveEverySeconds: z.coerce.number().positive().default(60),
    })
    .default({ archiveAfterHours: 24, dedupeWindowHours: 72, archiveEverySeconds: 60 }),
});
export type PuenteConfig = z.infer<typeof PuenteConfig>;

export class ConfigError extends Error {
  constructor(readonly file: string, readonly problems: string[]) {
    super(`Configuration ${file} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** `${NAME}` / `${NAME:-default}` in string values, from `env`. An unset variable without default is an error. */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, keyPath: string, problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_match, name: string, fallback: string | undefined) => {
      const fromEnv = env[name];
      if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
      if (fallback !== undefined) return fallback;
      problems.push(`${keyPath || '(top level)'}: the environment variable ${name} is not set; set it or give a default as \${${name}:-value}`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, `${keyPath}[${i}]`, problems));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, keyPath ? `${keyPath}.${k}` : k, problems)]),
    );
  }
  return value;
}

export function formatZodPath(pathParts: readonly PropertyKey[]): string {
  return pathParts
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
}

export function zodProblems(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const where = [prefix, formatZodPath(issue.path)].filter(Boolean).join('.') || '(top level)';
    return `${where}: ${issue.message}`;
  });
}

export interface LoadedConfig {
  config: PuenteConfig;
  file: string;
  /** Directory relative paths in the file are resolved against. */
  baseDir: string;
  /** Each connection's source block as its source type read it, by connection index. */
  sources: ParsedSource[];
}

export interface ParsedSource {
  /** `shopify:acme.myshopify.com` */
  source: string;
  settings: Record<string, unknown>;
}

/** A connection's source block, validated by its source type; problems are named `connections[i].source.…`. */
function parseSourceBlock(index: number, block: { type: string } & Record<string, unknown>, problems: string[]): ParsedSource | undefined {
  const key = `connections[${index}].source`;
  const type = sourceTypes[block.type];
  if (!type) {
    problems.push(`${key}.type: unknown source type "${block.type}"; known: ${Object.keys(sourceTypes).join(', ')}`);
    return undefined;
  }
  try {
    return type.parse(block);
  } catch (error) {
    if (error instanceof z.ZodError) problems.push(...zodProblems(error, key));
    else problems.push(`${key}: ${(error as Error).message}`);
    return undefined;
  }
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  // Pathological nesting can abort the process inside the YAML parser: refuse it before parsing.
  const tooDeep = yamlNestingProblem(text);
  if (tooDeep) {
    throw new ConfigError(file, [`line ${tooDeep.line}, column ${tooDeep.column}: nested ${tooDeep.depth} levels deep; configuration may nest at most ${MAX_YAML_NESTING} levels`]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError(file, [`YAML syntax: ${(error as Error).message}`]);
  }
  const problems: string[] = [];
  const interpolated = interpolateEnv(raw ?? {}, env, '', problems);
  if (problems.length) throw new ConfigError(file, problems);
  const parsed = PuenteConfig.safeParse(interpolated);
  if (!parsed.success) throw new ConfigError(file, zodProblems(parsed.error));
  const config = parsed.data;
  const targetProblems: string[] = [];
  const ids = new Set<string>();
  const sources: ParsedSource[] = [];
  config.connections.forEach((connection, i) => {
    const parsedSource = parseSourceBlock(i, connection.source, targetProblems);
    if (parsedSource) sources.push(parsedSource);
    if (!config.targets[connection.target]) {
      targetProblems.push(
        `connections[${i}].target: there is no target named "${connection.target}"; define it under targets or use one of: ${Object.keys(config.targets).join(', ') || '(none)'}`,
      );
    }
    if (ids.has(connection.id)) targetProblems.push(`connections[${i}].id: "${connection.id}" is used twice; ids must be unique`);
    ids.add(connection.id);
  });
  if (targetProblems.length) throw new ConfigError(file, targetProblems);
  return { config, file, baseDir: path.dirname(path.resolve(file)), sources };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LoadedConfig {
  const file = path.resolve(cwd, env.PUENTE_CONFIG || DEFAULT_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [
      `cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'}); create it or set PUENTE_CONFIG to its path`,
    ]);
  }
  return parseConfig(text, file, env);
}
