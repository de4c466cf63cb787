/**
 * Structural conditions that can never all hold together (a lint: `unreachable-when`). Only what is
 * certain is reported — two operators on the same path, compared the same way, that exclude each
 * other — so a warning is never a guess.
 */
import { compareDecimals, convert, toDecimal } from './convert.js';
import type { AsType, Condition } from './format.js';

type Comparable = string | number | boolean | null;

function sameValue(a: unknown, b: unknown, as: AsType | undefined): boolean {
  if (as === 'decimal' && a !== null && b !== null) {
    try {
      return compareDecimals(toDecimal(a), toDecimal(b)) === 0;
    } catch {
      return false;
    }
  }
  if (as && a !== null && b !== null) {
    try {
      return convert(a, as) === convert(b, as);
    } catch {
      return false;
    }
  }
  return a === b;
}

function decimalOf(value: unknown): string | undefined {
  try {
    return toDecimal(value);
  } catch {
    return undefined;
  }
}

/**
 * Why the conditions (all of which must hold) contradict each other, or undefined when they may all
 * hold. Conditions on different paths, or on one path read with different `as`, are never compared.
 */
export function contradictionIn(conditions: readonly Condition[]): string | undefined {
  const byPath = new Map<string, Condition[]>();
  for (const condition of conditions) {
    const as = 'as' in condition ? condition.as : undefined;
    const key = `${condition.path}\u0000${as ?? ''}`;
    byPath.set(key, [...(byPath.get(key) ?? []), condition]);
  }
  for (const group of byPath.values()) {
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) {
        const reason = pairContradiction(group[i] as Condition, group[j] as Condition) ?? pairContradiction(group[j] as Condition, group[i] as Condition);
        if (reason) return reason;
      }
    }
  }
  return undefined;
}

function pairContradiction(a: Condition, b: Condition): string | undefined {
  const as = 'as' in a ? a.as : undefined;
  const path = a.path;
  if ('exists' in a && 'exists' in b && a.exists !== b.exists) return `${path} cannot both exist and not exist`;
  if ('exists' in a && a.exists === false) {
    if (('equals' in b && b.equals !== null) || 'in' in b || 'lessThan' in b || 'greaterThan' in b) {
      return `${path} must be missing (exists: false) and also have a value`;
    }
  }
  if ('equals' in a) {
    const wanted = a.equals as Comparable;
    if ('equals' in b && !sameValue(wanted, b.equals, as)) return `${path} cannot equal both ${JSON.stringify(wanted)} and ${JSON.stringify(b.equals)}`;
    if ('notEquals' in b && sameValue(wanted, b.notEquals, as)) return `${path} cannot both equal and not equal ${JSON.stringify(wanted)}`;
    if ('in' in b && !b.in.some((value) => sameValue(wanted, value, as))) return `${path} must equal ${JSON.stringify(wanted)}, which is not in the in: list`;
    if ('notIn' in b && b.notIn.some((value) => sameValue(wanted, value, as))) return `${path} must equal ${JSON.stringify(wanted)}, which the notIn: list excludes`;
  }
  if ('in' in a && 'notIn' in b && a.in.every((value) => b.notIn.some((excluded) => sameValue(value, excluded, as)))) {
    return `every value in the in: list of ${path} is excluded by its notIn: list`;
  }
  if ('greaterThan' in a && 'lessThan' in b) {
    const low = decimalOf(a.greaterThan);
    const high = decimalOf(b.lessThan);
    if (low !== undefined && high !== undefined && compareDecimals(low, high) >= 0) {
      return `${path} cannot be greater than ${low} and less than ${high}`;
    }
  }
  return undefined;
}
