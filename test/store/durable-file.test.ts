import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJsonWithFallback, UnreadableFileError, writeChunksDurably, writeFileDurably } from '../../src/store/durable-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'puente-durable-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const asRecord = (value: unknown) => {
  if (typeof value !== 'object' || value === null || !('n' in value)) throw new Error('has no "n" field');
  return value as { n: number };
};

describe('writeFileDurably', () => {
  it('replaces the file, moves the previous copy to the backup and leaves no temp file', async () => {
    const target = join(dir, 'state.json');
    await writeFileDurably(target, '{"n":1}', { backupPath: `${target}.bak` });
    expect(await readFile(target, 'utf8')).toBe('{"n":1}');
    expect(await readdir(dir)).toEqual(['state.json']);

    await writeFileDurably(target, '{"n":2}', { backupPath: `${target}.bak` });
    expect(await readFile(target, 'utf8')).toBe('{"n":2}');
    expect(await readFile(`${target}.bak`, 'utf8')).toBe('{"n":1}');
    expect((await readdir(dir)).sort()).toEqual(['state.json', 'state.json.bak']);
  });

  it('writes a file larger than one write slice exactly, multi-byte characters across slice edges included', async () => {
    const target = join(dir, 'big.json');
    const text = JSON.stringify({ rows: Array.from({ length: 60_000 }, (_, i) => `fila ${i} — María Pérez ñandú €`) });
    const big = text.repeat(4);
    // More than two 4 MiB slices.
    expect(Buffer.byteLength(big)).toBeGreaterThan(2 * 4 * 1024 * 1024);
    await writeFileDurably(target, big);
    expect(await readFile(target, 'utf8')).toBe(big);
  });

  it.runIf(process.platform !== 'win32')('creates files readable by the owner only', async () => {
    const target = join(dir, 'state.json');
    await writeFileDurably(target, 'x');
    expect((await stat(target)).mode & 0o777).toBe(0o600);
  });

  it('leaves the target and its backup untouched when the write fails', async () => {
    const target = join(dir, 'state.json');
    await writeFileDurably(target, '{"n":1}', { backupPath: `${target}.bak` });
    await writeFileDurably(target, '{"n":2}', { backupPath: `${target}.bak` });
    // A directory where the temp file must go makes the write fail before anything is renamed.
    await mkdir(join(dir, '.state.json.tmp', 'blocker'), { recursive: true });
    await expect(writeFileDurably(target, '{"n":3}', { backupPath: `${target}.bak` })).rejects.toThrow(
      /Could not write .*state\.json durably/,
    );
    expect(await readFile(target, 'utf8')).toBe('{"n":2}');
    expect(await readFile(`${target}.bak`, 'utf8')).toBe('{"n":1}');
  });
});

describe('writeChunksDurably', () => {
  it('writes the chunks in order, pulling each one only after the previous is written, and keeps a .bak', async () => {
    const target = join(dir, 'state.json');
    await writeFileDurably(target, '{"n":1}', { backupPath: `${target}.bak` });
    const pulled: number[] = [];
    async function* chunks() {
      for (let i = 0; i < 3; i++) {
        pulled.push(i);
        // By the time the next chunk is asked for, everything before it is in the temp file.
        if (i > 0) expect(await readFile(join(dir, '.state.json.tmp'), 'utf8')).toBe('{"n":2,"parts":['.concat('"p",'.repeat(i)));
        yield i === 0 ? '{"n":2,"parts":["p",' : '"p",';
      }
      yield '"end"]}';
    }
    await writeChunksDurably(target, chunks(), { backupPath: `${target}.bak` });
    expect(pulled).toEqual([0, 1, 2]);
    expect(JSON.parse(await readFile(target, 'utf8'))).toEqual({ n: 2, parts: ['p', 'p', 'p', 'end'] });
    expect(await readFile(`${target}.bak`, 'utf8')).toBe('{"n":1}');
    expect((await readdir(dir)).sort()).toEqual(['state.json', 'state.json.bak']);
  });

  it('leaves the target, its backup and no temp file when producing a chunk fails half-way', async () => {
    const target = join(dir, 'state.json');
    await writeFileDurably(target, '{"n":1}', { backupPath: `${target}.bak` });
    await writeFileDurably(target, '{"n":2}', { backupPath: `${target}.bak` });
    async function* failing() {
      yield '{"n":3,';
      yield '"more":';
      throw new Error('serialiser stopped');
    }
    await expect(writeChunksDurably(target, failing(), { backupPath: `${target}.bak` })).rejects.toThrow(
      /Could not write .*state\.json durably: serialiser stopped/,
    );
    expect(await readFile(target, 'utf8')).toBe('{"n":2}');
    expect(await readFile(`${target}.bak`, 'utf8')).toBe('{"n":1}');
    expect((await readdir(dir)).sort()).toEqual(['state.json', 'state.json.bak']);
  });
});

describe('readJsonWithFallback', () => {
  const target = () => join(dir, 'state.json');
  const options = () => ({ backupPath: `${target()}.bak`, validate: asRecord, now: () => new Date('2026-02-03T04:05:06.789Z') });

  it('reports a fresh directory as empty', async () => {
    expect(await readJsonWithFallback(target(), options())).toEqual({ value: undefined, from: 'none', warnings: [] });
  });

  it('reads the main file when it is good', async () => {
    await writeFile(target(), '{"n":2}');
    await writeFile(`${target()}.bak`, '{"n":1}');
    expect(await readJsonWithFallback(target(), options())).toEqual({ value: { n: 2 }, from: 'main', warnings: [] });
  });

  it.each([
    ['empty', '', /state\.json is empty/],
    ['full of NUL bytes', '\u0000\u0000\u0000', /state\.json is not valid JSON/],
    ['truncated', '{"n":', /state\.json is not valid JSON/],
    ['of the wrong shape', '{"m":1}', /state\.json has no "n" field/],
  ])('falls back to the backup when the main file is %s, and quarantines it', async (_label, content, reason) => {
    await writeFile(target(), content);
    await writeFile(`${target()}.bak`, '{"n":1}');
    const result = await readJsonWithFallback(target(), options());
    expect(result.value).toEqual({ n: 1 });
    expect(result.from).toBe('backup');
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(reason);
    expect(result.warnings[0]).toContain('state.json.corrupt-2026-02-03T04-05-06-789Z');
    expect(await readFile(join(dir, 'state.json.corrupt-2026-02-03T04-05-06-789Z'), 'utf8')).toBe(content);
    await expect(stat(target())).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('throws UnreadableFileError with both reasons when the backup is unusable too, changing nothing', async () => {
    await writeFile(target(), '{"n":');
    await writeFile(`${target()}.bak`, '');
    const error = await readJsonWithFallback(target(), options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreadableFileError);
    expect((error as UnreadableFileError).reasons).toEqual([
      'state.json is not valid JSON (truncated or damaged)',
      'state.json.bak is empty',
    ]);
    expect((await readdir(dir)).sort()).toEqual(['state.json', 'state.json.bak']);
  });

  it('never quotes file content in its messages', async () => {
    await writeFile(target(), '{"buyer":"María Pérez", "n": }');
    const error = (await readJsonWithFallback(target(), options()).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(UnreadableFileError);
    expect(error.message).toMatch(/not valid JSON/);
    expect(error.message).not.toContain('María');
  });
});
