import { describe, expect, it } from 'vitest';
import { createIdGenerator, ID_PATTERN, idTime, newId } from '../../src/store/ids.js';

describe('newId', () => {
  it('makes prefixed 26-character base32 ids that carry their creation time', () => {
    const before = Date.now();
    const id = newId('evt');
    expect(id).toMatch(ID_PATTERN);
    expect(id.startsWith('evt_')).toBe(true);
    expect(id).toHaveLength('evt_'.length + 26);
    expect(idTime(id).getTime()).toBeGreaterThanOrEqual(before);
    expect(idTime(id).getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('makes 10,000 distinct ids that sort in the order they were made', () => {
    const ids = Array.from({ length: 10_000 }, () => newId('doc'));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('refuses a prefix that would break sorting or parsing', () => {
    expect(() => newId('Evt')).toThrow(/prefix "Evt" is invalid/);
    expect(() => newId('evt_x')).toThrow(/lowercase letters or digits/);
    expect(() => newId('')).toThrow(TypeError);
  });
});

describe('createIdGenerator', () => {
  const fixedRandom = (byte: number) => (size: number) => new Uint8Array(size).fill(byte);

  it('stays strictly increasing within one millisecond even when randomness would go down', () => {
    let call = 0;
    // Random bytes that decrease on each call: only the monotonic counter can keep the order.
    const generate = createIdGenerator({ now: () => 1_760_000_000_000, random: (size) => new Uint8Array(size).fill(200 - call++) });
    const ids = Array.from({ length: 100 }, () => generate('bat'));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(100);
    expect(ids.every((id) => idTime(id).getTime() === 1_760_000_000_000)).toBe(true);
  });

  it('stays increasing when the wall clock steps backwards', () => {
    const times = [1_760_000_005_000, 1_760_000_000_000, 1_760_000_001_000];
    const generate = createIdGenerator({ now: () => times.shift()!, random: fixedRandom(0) });
    const ids = [generate('evt'), generate('evt'), generate('evt')];
    expect([...ids].sort()).toEqual(ids);
    expect(idTime(ids[2]!).getTime()).toBe(1_760_000_005_000);
  });

  it('borrows the next millisecond when the random part is exhausted', () => {
    const generate = createIdGenerator({ now: () => 1_000, random: fixedRandom(0xff) });
    const first = generate('evt');
    const second = generate('evt');
    expect(second > first).toBe(true);
    expect(idTime(first).getTime()).toBe(1_000);
    expect(idTime(second).getTime()).toBe(1_001);
  });

  it('idTime refuses strings that are not ids', () => {
    expect(() => idTime('evt_123')).toThrow(/not a Puente id/);
  });
});
