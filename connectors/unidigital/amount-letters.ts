/**
 * `AmountLetters` / `AmountLettersVES`: an amount written out in Spanish, the way Venezuelan invoices
 * print it ("MIL DOSCIENTOS TREINTA Y CUATRO BOLÍVARES CON 50/100"). The imprenta prints the text
 * it is given; nothing in the reference says it checks it, so the format is ours: words in upper
 * case for the whole units, the currency's plural name, and the cents as NN/100.
 */
import { Dec } from '../../src/domain/money.js';

const UNITS = ['', 'UNO', 'DOS', 'TRES', 'CUATRO', 'CINCO', 'SEIS', 'SIETE', 'OCHO', 'NUEVE'];
const TEENS = ['DIEZ', 'ONCE', 'DOCE', 'TRECE', 'CATORCE', 'QUINCE', 'DIECISÉIS', 'DIECISIETE', 'DIECIOCHO', 'DIECINUEVE'];
const TWENTIES = ['VEINTE', 'VEINTIUNO', 'VEINTIDÓS', 'VEINTITRÉS', 'VEINTICUATRO', 'VEINTICINCO', 'VEINTISÉIS', 'VEINTISIETE', 'VEINTIOCHO', 'VEINTINUEVE'];
const TENS = ['', '', '', 'TREINTA', 'CUARENTA', 'CINCUENTA', 'SESENTA', 'SETENTA', 'OCHENTA', 'NOVENTA'];
const HUNDREDS = ['', 'CIENTO', 'DOSCIENTOS', 'TRESCIENTOS', 'CUATROCIENTOS', 'QUINIENTOS', 'SEISCIENTOS', 'SETECIENTOS', 'OCHOCIENTOS', 'NOVECIENTOS'];

const CURRENCY_NAMES: Readonly<Record<string, { one: string; many: string }>> = {
  VES: { one: 'BOLÍVAR', many: 'BOLÍVARES' },
  USD: { one: 'DÓLAR', many: 'DÓLARES' },
  EUR: { one: 'EURO', many: 'EUROS' },
};

/** 0–99 */
function belowHundred(n: number): string {
  if (n < 10) return UNITS[n]!;
  if (n < 20) return TEENS[n - 10]!;
  if (n < 30) return TWENTIES[n - 20]!;
  const unit = n % 10;
  return unit === 0 ? TENS[Math.floor(n / 10)]! : `${TENS[Math.floor(n / 10)]} Y ${UNITS[unit]}`;
}

/** 0–999 */
function belowThousand(n: number): string {
  if (n === 100) return 'CIEN';
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  return [HUNDREDS[hundreds], rest ? belowHundred(rest) : ''].filter(Boolean).join(' ');
}

/** "UNO" becomes "UN" before a noun or a larger unit ("VEINTIÚN MIL", "UN MILLÓN"). */
function apocopate(words: string): string {
  return words.replace(/VEINTIUNO$/, 'VEINTIÚN').replace(/\bUNO$/, 'UN');
}

/** Whole units in words, up to 999 999 999 999 999. */
export function integerInWords(value: bigint): string {
  if (value < 0n) throw new RangeError('integerInWords takes a non-negative amount');
  if (value === 0n) return 'CERO';
  if (value >= 1_000_000_000_000_000n) throw new RangeError('amount too large to write out');
  const groups: number[] = [];
  let rest = value;
  while (rest > 0n) {
    groups.push(Number(rest % 1000n));
    rest /= 1000n;
  }
  // groups[0] units, [1] thousands, [2] millions, [3] thousands of millions, [4] billions
  const parts: string[] = [];
  const billions = groups[4] ?? 0;
  const millions = (groups[3] ?? 0) * 1000 + (groups[2] ?? 0);
  const thousands = groups[1] ?? 0;
  const units = groups[0] ?? 0;
  if (billions) parts.push(billions === 1 ? 'UN BILLÓN' : `${apocopate(belowThousand(billions))} BILLONES`);
  if (millions) {
    if (millions === 1) parts.push('UN MILLÓN');
    else {
      const high = Math.floor(millions / 1000);
      const low = millions % 1000;
      const words = [high ? (high === 1 ? 'MIL' : `${apocopate(belowThousand(high))} MIL`) : '', low ? apocopate(belowThousand(low)) : '']
        .filter(Boolean)
        .join(' ');
      parts.push(`${words} MILLONES`);
    }
  }
  if (thousands) parts.push(thousands === 1 ? 'MIL' : `${apocopate(belowThousand(thousands))} MIL`);
  if (units) parts.push(belowThousand(units));
  return parts.join(' ');
}

/**
 * `amountInLetters("1234.50", "VES")` → "MIL DOSCIENTOS TREINTA Y CUATRO BOLÍVARES CON 50/100".
 * The amount is rounded half-up to cents first.
 */
export function amountInLetters(amount: Dec | string, currency: string): string {
  const value = new Dec(amount).toDecimalPlaces(2, Dec.ROUND_HALF_UP);
  if (value.isNegative()) throw new RangeError('amounts on a Unidigital document are never negative');
  const whole = value.trunc();
  const cents = value.minus(whole).times(100).toFixed(0).padStart(2, '0');
  const names = CURRENCY_NAMES[currency];
  const name = names ? (whole.eq(1) ? names.one : names.many) : currency;
  const words = apocopate(integerInWords(BigInt(whole.toFixed(0))));
  return `${words} ${name} CON ${cents}/100`;
}
