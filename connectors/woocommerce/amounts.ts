/**
 * Amounts the mappings need but WooCommerce does not state: a line's unit price before discounts
 * (WooCommerce gives the line's `subtotal` — quantity × price before coupons, net of tax — and its
 * `price` is a float after discounts) and a refund line's positive quantity and price. They are
 * computed here in decimal, from the decimal strings WooCommerce sends, and added beside the
 * source's own fields under `puente_*` names; mappings may not divide amounts themselves.
 */
import { Dec, isDecimalString } from '../../src/domain/money.js';

/** Six places is what a tax-exclusive unit price may carry; domain code keeps it unrounded. */
const UNIT_PRICE_PLACES = 6;

function decimal(value: unknown): Dec | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return new Dec(String(value));
  return typeof value === 'string' && isDecimalString(value.trim()) ? new Dec(value.trim()) : undefined;
}

/**
 * amount ÷ quantity, exact when it fits in six places, otherwise rounded up: quantity × price then
 * never falls short of the amount, and domain code treats the few millionths over as discount
 * (the line's net amount is stated outright), so the line's value stays exactly the amount.
 */
function unitPriceOf(amount: Dec, quantity: Dec): string {
  return amount.div(quantity).toDecimalPlaces(UNIT_PRICE_PLACES, Dec.ROUND_UP).toFixed();
}

type Item = Record<string, unknown>;

function items(value: unknown): Item[] {
  return Array.isArray(value) ? (value.filter((v) => typeof v === 'object' && v !== null) as Item[]) : [];
}

/** The order with `puente_unit_price` on each line item (subtotal ÷ quantity). */
export function withUnitPrices<T extends Record<string, unknown>>(order: T): T {
  const lines = items(order.line_items).map((line) => {
    const subtotal = decimal(line.subtotal);
    const quantity = decimal(line.quantity);
    if (!subtotal || !quantity || !quantity.gt(0) || subtotal.isNegative()) return line;
    return { ...line, puente_unit_price: unitPriceOf(subtotal, quantity) };
  });
  return Array.isArray(order.line_items) ? { ...order, line_items: lines } : order;
}

/**
 * The refund with, on each refunded line item, `puente_quantity` (the units returned, positive; 1
 * when only money was refunded on the line) and `puente_unit_price` (the refunded amount per unit).
 * WooCommerce writes refund quantities and totals as negative numbers.
 */
export function withRefundAmounts<T extends Record<string, unknown>>(refund: T): T {
  const lines = items(refund.line_items).map((line) => {
    const total = decimal(line.total)?.abs();
    const returned = decimal(line.quantity)?.abs();
    if (!total) return line;
    const quantity = returned && returned.gt(0) ? returned : new Dec(1);
    return { ...line, puente_quantity: quantity.toFixed(), puente_unit_price: unitPriceOf(total, quantity) };
  });
  return Array.isArray(refund.line_items) ? { ...refund, line_items: lines } : refund;
}
