/**
 * SIFEN's per-item amounts and document totals, computed the way FacturApi (through
 * facturacionelectronicapy-xmlgen) computes them from the JSON it is given. Puente's wire schema
 * uses this to refuse, before sending, a document whose expected totals SIFEN would not reproduce;
 * the sandbox uses it to compute and check what it stores.
 *
 * Sources: reference invoicing-apis.md §4.2 (Manual Técnico v150, NT13, in force since 2023-06-17),
 * and xmlgen @b1b28b9 `jsonDteItem.service.ts` (items) and `jsonDteTotales.service.ts` (totals):
 *
 *   per item (E7/E8, fields EA008, E735–E737):
 *     dTotBruOpeItem = round_d(precioUnitario × cantidad)
 *     dDescGloItem   = round_8(descuentoGlobal × (cantidad·precio / Σ cantidad·precio) / cantidad)
 *     dTotOpeItem    = (precioUnitario − descuento − dDescGloItem − anticipo − dAntGloItem) × cantidad,
 *                      rounded to d decimals, or to 8 when the item carries a share of descuentoGlobal
 *     dBasGravIVA    = round_8(100 · dTotOpeItem · ivaProporcion / (10000 + iva · ivaProporcion))   (ivaTipo 1, 4)
 *     dLiqIVAItem    = round_8(dBasGravIVA · iva / 100)                                             (ivaTipo 1, 4)
 *     dBasExe        = round_8(100 · dTotOpeItem · (100 − ivaProporcion) / (10000 + iva · ivaProporcion)) (ivaTipo 4)
 *   totals (F001–F017), each sum rounded once, at the end, to d decimals:
 *     dSubExe = Σ dTotOpeItem (ivaTipo 3) + Σ dBasExe (ivaTipo 4)      dSubExo = Σ dTotOpeItem (ivaTipo 2)
 *     dSub5 / dSub10 = Σ dTotOpeItem (ivaTipo 1) + Σ (dBasGravIVA + dLiqIVAItem) (ivaTipo 4), by rate
 *     dTotOpe = dSubExe + dSubExo + dSub5 + dSub10
 *     dIVA5 / dIVA10 = Σ dLiqIVAItem by rate;   dBaseGrav5 / dBaseGrav10 = Σ dBasGravIVA by rate
 *     dTotIVA = dIVA5 + dIVA10;   dTBasGraIVA = dBaseGrav5 + dBaseGrav10
 *     dRedon  = dTotOpe mod 50 in PYG (SEDECO resolution 347/2014, xmlgen's default `redondeoSedeco`)
 *     dTotGralOpe = dTotOpe − dRedon
 *   d = 0 for PYG (pygDecimals, pygTaxDecimals), 2 otherwise.
 *
 * Two consequences worth knowing (and tested in test/facturapi/tax.test.ts):
 * - IVA and its base are summed at 8 decimals and rounded once per document, so SIFEN's dIVA10 is
 *   round(Σ dTotOpeItem/11), not Σ round(dTotOpeItem/11) — with several lines at one rate it can
 *   differ from a per-line-rounded tax summary by up to ⌊n/2⌋ guaraníes for n lines.
 * - dTotGralOpe (the KuDE's "total a pagar") is rounded down to a multiple of 50 guaraníes.
 *
 * Exact decimal arithmetic, half-up. xmlgen works in binary floats with toFixed; where a float
 * artefact would flip a rounding (1.005 → "1.00"), this module gives the exact answer instead.
 */
import { Dec } from '../../src/domain/money.js';

export type Amount = number | string;

export interface SifenItemInput {
  cantidad: Amount;
  precioUnitario: Amount;
  descuento?: Amount | undefined;
  anticipo?: Amount | undefined;
  ivaTipo: number;
  /** ivaProporcion, or its older name ivaBase; ivaProporcion wins when both are present. */
  ivaProporcion?: Amount | undefined;
  ivaBase?: Amount | undefined;
  iva: Amount;
}

export interface SifenDocumentInput {
  moneda?: string | undefined;
  tipoImpuesto?: number | undefined;
  descuentoGlobal?: Amount | undefined;
  anticipoGlobal?: Amount | undefined;
  items: readonly SifenItemInput[];
}

export interface SifenItemAmounts {
  dTotBruOpeItem: Dec;
  dDescItem: Dec;
  dDescGloItem: Dec;
  dAntPreUniIt: Dec;
  dAntGloPreUniIt: Dec;
  dTotOpeItem: Dec;
  dBasGravIVA: Dec;
  dLiqIVAItem: Dec;
  dBasExe: Dec;
}

export const SIFEN_TOTAL_FIELDS = [
  'dSubExe',
  'dSubExo',
  'dSub5',
  'dSub10',
  'dTotOpe',
  'dTotDesc',
  'dTotDescGlotem',
  'dDescTotal',
  'dRedon',
  'dTotGralOpe',
  'dIVA5',
  'dIVA10',
  'dTotIVA',
  'dBaseGrav5',
  'dBaseGrav10',
  'dTBasGraIVA',
] as const;
export type SifenTotalField = (typeof SIFEN_TOTAL_FIELDS)[number];
export type SifenTotals = Record<SifenTotalField, Dec>;

export interface SifenAmounts {
  /** Decimals of amounts in this currency: 0 for PYG, 2 otherwise. */
  decimals: number;
  items: SifenItemAmounts[];
  totals: SifenTotals;
}

export interface SifenMathOptions {
  /** xmlgen's `redondeoSedeco` (default true): PYG totals rounded down to a multiple of 50. */
  redondeoSedeco?: boolean;
}

/** Intermediate tax values keep SIFEN's maximum of 8 decimals (xmlgen `partialTaxDecimals`). */
const PARTIAL = 8;

function dec(value: Amount | undefined, field: string): Dec {
  if (value === undefined || value === null || value === '') return new Dec(0);
  const text = typeof value === 'number' ? String(value) : value.trim();
  if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError(`${field}: not a finite number`);
  if (!/^-?\d+(\.\d+)?$/.test(text)) throw new RangeError(`${field}: "${text.slice(0, 30)}" is not a decimal number`);
  return new Dec(text);
}

const round = (value: Dec, decimals: number): Dec => value.toDecimalPlaces(decimals, Dec.ROUND_HALF_UP);

/** Computes SIFEN's item amounts and totals. Inputs are trusted to have passed the wire schema. */
export function computeSifenAmounts(input: SifenDocumentInput, options: SifenMathOptions = {}): SifenAmounts {
  const moneda = input.moneda ?? 'PYG';
  const pyg = moneda === 'PYG';
  const decimals = pyg ? 0 : 2;
  // xmlgen computes dTotOpeItem only for these tipoImpuesto (IVA, Renta, Ninguno, IVA-Renta).
  const computesTotal = [1, 3, 4, 5].includes(input.tipoImpuesto ?? 1);
  const descuentoGlobal = dec(input.descuentoGlobal, 'descuentoGlobal');
  const anticipoGlobal = dec(input.anticipoGlobal, 'anticipoGlobal');
  const grossAll = input.items.reduce(
    (sum, item, i) => sum.plus(dec(item.cantidad, `items[${i}].cantidad`).times(dec(item.precioUnitario, `items[${i}].precioUnitario`))),
    new Dec(0),
  );

  const items = input.items.map((item, i): SifenItemAmounts => {
    const cantidad = dec(item.cantidad, `items[${i}].cantidad`);
    const precio = dec(item.precioUnitario, `items[${i}].precioUnitario`);
    const dTotBruOpeItem = round(precio.times(cantidad), decimals);
    // The discount goes through as the JSON gives it: "sin redondeos, igual al precio" (xmlgen).
    const dDescItem = dec(item.descuento, `items[${i}].descuento`);
    // A global discount or advance is shared by weight (cantidad × precio) and stated per unit.
    const share = (total: Dec): Dec =>
      total.isZero() || grossAll.isZero() ? new Dec(0) : round(total.times(precio.times(cantidad)).div(grossAll).div(cantidad), PARTIAL);
    const dDescGloItem = share(descuentoGlobal);
    const dAntPreUniIt = round(dec(item.anticipo, `items[${i}].anticipo`), decimals);
    const dAntGloPreUniIt = round(share(anticipoGlobal), decimals);
    const net = precio.minus(dDescItem).minus(dDescGloItem).minus(dAntPreUniIt).minus(dAntGloPreUniIt).times(cantidad);
    const dTotOpeItem = computesTotal ? round(net, dDescGloItem.isZero() ? decimals : PARTIAL) : new Dec(0);

    const proportion = dec(item.ivaProporcion ?? item.ivaBase, `items[${i}].ivaProporcion`);
    const rate = dec(item.iva, `items[${i}].iva`);
    const taxed = item.ivaTipo === 1 || item.ivaTipo === 4;
    const divisor = new Dec(10000).plus(rate.times(proportion));
    const dBasGravIVA = taxed ? round(dTotOpeItem.times(100).times(proportion).div(divisor), PARTIAL) : new Dec(0);
    const dLiqIVAItem = taxed ? round(dBasGravIVA.times(rate).div(100), PARTIAL) : new Dec(0);
    const dBasExe = item.ivaTipo === 4 ? round(dTotOpeItem.times(100).times(new Dec(100).minus(proportion)).div(divisor), PARTIAL) : new Dec(0);
    return { dTotBruOpeItem, dDescItem, dDescGloItem, dAntPreUniIt, dAntGloPreUniIt, dTotOpeItem, dBasGravIVA, dLiqIVAItem, dBasExe };
  });

  let subExe = new Dec(0);
  let subExo = new Dec(0);
  let sub5 = new Dec(0);
  let sub10 = new Dec(0);
  let iva5 = new Dec(0);
  let iva10 = new Dec(0);
  let base5 = new Dec(0);
  let base10 = new Dec(0);
  let totDesc = new Dec(0);
  input.items.forEach((item, i) => {
    const amounts = items[i]!;
    const rate = dec(item.iva, `items[${i}].iva`).toNumber();
    totDesc = totDesc.plus(amounts.dDescItem.times(dec(item.cantidad, `items[${i}].cantidad`)));
    if (item.ivaTipo === 3) subExe = subExe.plus(amounts.dTotOpeItem);
    if (item.ivaTipo === 4) subExe = subExe.plus(amounts.dBasExe);
    if (item.ivaTipo === 2) subExo = subExo.plus(amounts.dTotOpeItem);
    if (item.ivaTipo === 1 || item.ivaTipo === 4) {
      const sub = item.ivaTipo === 1 ? amounts.dTotOpeItem : amounts.dBasGravIVA.plus(amounts.dLiqIVAItem);
      if (rate === 5) {
        sub5 = sub5.plus(sub);
        iva5 = iva5.plus(amounts.dLiqIVAItem);
        base5 = base5.plus(amounts.dBasGravIVA);
      } else if (rate === 10) {
        sub10 = sub10.plus(sub);
        iva10 = iva10.plus(amounts.dLiqIVAItem);
        base10 = base10.plus(amounts.dBasGravIVA);
      }
    }
  });

  const totOpe = round(subExe.plus(subExo).plus(sub5).plus(sub10), decimals);
  const redondeo = pyg && (options.redondeoSedeco ?? true) ? totOpe.mod(50) : new Dec(0);
  const dIVA5 = round(iva5, decimals);
  const dIVA10 = round(iva10, decimals);
  const dBaseGrav5 = round(base5, decimals);
  const dBaseGrav10 = round(base10, decimals);
  const dTotDesc = round(totDesc, decimals);
  const dTotDescGlotem = round(descuentoGlobal, decimals);
  return {
    decimals,
    items,
    totals: {
      dSubExe: round(subExe, decimals),
      dSubExo: round(subExo, decimals),
      dSub5: round(sub5, decimals),
      dSub10: round(sub10, decimals),
      dTotOpe: totOpe,
      dTotDesc,
      dTotDescGlotem,
      dDescTotal: dTotDesc.plus(dTotDescGlotem),
      dRedon: redondeo,
      dTotGralOpe: round(totOpe.minus(redondeo), decimals),
      dIVA5,
      dIVA10,
      dTotIVA: dIVA5.plus(dIVA10),
      dBaseGrav5,
      dBaseGrav10,
      dTBasGraIVA: dBaseGrav5.plus(dBaseGrav10),
    },
  };
}

/** Totals written as decimal strings with the currency's decimals ("59900", "12.50"). */
export function formatTotals(amounts: SifenAmounts): Record<SifenTotalField, string> {
  const out = {} as Record<SifenTotalField, string>;
  for (const field of SIFEN_TOTAL_FIELDS) out[field] = amounts.totals[field].toFixed(amounts.decimals);
  return out;
}

export interface TotalsMismatch {
  field: SifenTotalField;
  expected: string;
  computed: string;
}

/**
 * Compares the totals a caller expects (`totalesEsperados`, any subset of SIFEN's total fields) with
 * SIFEN's. Amounts are compared as numbers, so "59900" and "59900.00" agree.
 */
export function totalsMismatches(amounts: SifenAmounts, expected: Partial<Record<string, Amount>>): TotalsMismatch[] {
  const mismatches: TotalsMismatch[] = [];
  for (const field of SIFEN_TOTAL_FIELDS) {
    const value = expected[field];
    if (value === undefined) continue;
    const computed = amounts.totals[field];
    if (!dec(value, `totalesEsperados.${field}`).eq(computed)) {
      mismatches.push({ field, expected: String(value), computed: computed.toFixed(amounts.decimals) });
    }
  }
  return mismatches;
}
