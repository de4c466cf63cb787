/**
 * What the `mappings` and `replay` commands share: where they write (so tests run them in-process),
 * usage errors (exit 2), and how they find the mappings folder and the running server.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type LoadedConfig } from '../config.js';

export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The command line is wrong; the command prints this and its usage, and exits 2. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with its errors turned into usage errors. */
export function parseCommandLine<T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliUsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

function configIfAny(io: CliIo): LoadedConfig | undefined {
  try {
    return loadConfig(io.env, io.cwd);
  } catch {
    return undefined;
  }
}

/**
 * The country each configured connection issues documents for, by source (`shopify:acme…`), so stored
 * events are mapped as their store's documents would be. Unknown sources read as undefined (Colombia).
 */
export function connectionCountries(io: CliIo): (source: string) => string | undefined {
  const loaded = configIfAny(io);
  const bySource = new Map<string, string>((loaded?.config.connections ?? []).map((c, i): [string, string] => [loaded!.sources[i]!.source, c.country]));
  return (source) => bySource.get(source);
}

/** The configured mappingsDir when there is a readable configuration, else ./mappings. */
export function defaultMappingsDir(io: CliIo): string {
  const loaded = configIfAny(io);
  return loaded ? path.resolve(loaded.baseDir, loaded.config.mappingsDir) : path.resolve(io.cwd, 'mappings');
}

/** A path as the user should read it: relative to where they are, when it is inside. */
export function shown(io: CliIo, file: string): string {
  const relative = path.relative(io.cwd, file);
  return relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

export interface AdminEndpoint {
  url: string;
  token: string;
}

/**
 * The running server's admin API: --url/--token, else the configuration (server port, adminToken,
 * or the token generated into dataDir/admin-token), else $PUENTE_URL/$PUENTE_ADMIN_TOKEN.
 */
export function adminEndpoint(io: CliIo, given: { url?: string | undefined; token?: string | undefined }): AdminEndpoint {
  const loaded = configIfAny(io);
  const url = given.url ?? io.env.PUENTE_URL ?? (loaded ? `http://127.0.0.1:${loaded.config.server.port}` : undefined);
  if (!url) throw new CliUsageError('no server to talk to: pass --url http://host:port (or run in the folder with puente.config.yaml)');
  let token = given.token ?? io.env.PUENTE_ADMIN_TOKEN ?? loaded?.config.adminToken;
  if (!token && loaded) {
    try {
      token = readFileSync(path.join(path.resolve(loaded.baseDir, loaded.config.dataDir), 'admin-token'), 'utf8').trim();
    } catch {
      // Reported below with what to do.
    }
  }
  if (!token) throw new CliUsageError('no admin token: pass --token, set PUENTE_ADMIN_TOKEN, or run where the server wrote dataDir/admin-token');
  return { url: url.replace(/\/+$/, ''), token };
}

/** The admin API could not be reached at all (exit 1 with this message). */
export class ServerUnreachableError extends Error {
  constructor(origin: string, cause: unknown) {
    const why = cause instanceof Error ? ((cause as Error & { cause?: unknown }).cause ? String((cause as Error & { cause?: unknown }).cause) : cause.message) : String(cause);
    super(`cannot reach Puente at ${origin}: ${why} — is it running? (--url)`);
    this.name = 'ServerUnreachableError';
  }
}

/** One admin API call; the body is parsed JSON (or the text's start as `message`). */
export async function adminRequest(
  endpoint: AdminEndpoint,
  method: 'GET' | 'POST',
  route: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  let response: Response;
  try {
    response = await fetch(`${endpoint.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${endpoint.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new ServerUnreachableError(endpoint.url, error);
  }
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: response.status, body: { message: text.slice(0, 200) } };
  }
}
