/** Orders the WooCommerce tests share, built with the sandbox's WooCommerce arithmetic. */
import { CO_TAX_RATES, type OrderSpec } from '../../connectors/woocommerce/sandbox/orders.js';
import type { SourceBinding } from '../../connectors/index.js';

export const WEBHOOK_SECRET = 'wh-secret-tienda';
export const CONSUMER_KEY = 'ck_0123456789abcdef0123456789abcdef01234567';
export const CONSUMER_SECRET = 'cs_fedcba9876543210fedcba9876543210fedcba98';

export function bindingFor(url: string, connectionId = 'tienda', extra: Record<string, unknown> = {}): SourceBinding {
  const host = new URL(url).host;
  return {
    connectionId,
    source: `woocommerce:${host}`,
    settings: { type: 'woocommerce', url, consumerKey: CONSUMER_KEY, consumerSecret: CONSUMER_SECRET, webhookSecret: WEBHOOK_SECRET, ...extra },
  };
}

/** Two tax rates, a coupon, taxed shipping, a taxed fee, a buyer NIT in a plugin's meta key. */
export const NIT_ORDER: OrderSpec = {
  id: 4817,
  status: 'processing',
  createdAt: '2026-11-20T19:03:15',
  billing: {
    first_name: 'Laura',
    last_name: 'Restrepo',
    company: 'Tostadora Andina SAS',
    address_1: 'Calle 93 # 11-26',
    city: 'Bogotá',
    state: 'DC',
    postcode: '110221',
    country: 'CO',
    email: 'compras@tostadoraandina.example',
  },
  meta: [
    { key: '_billing_type_document', value: 'NIT' },
    { key: '_billing_dni', value: '900.123.456-8' },
  ],
  items: [
    { productId: 311, variationId: 318, sku: 'CAM-ALG-M-NEG', name: 'Camiseta algodón orgánico - M, Negro', quantity: 2, price: '50336.13', tax: CO_TAX_RATES.iva19 },
    { productId: 402, sku: 'CAF-TOL-500', name: 'Café de origen Tolima 500 g', quantity: 3, price: '28571.43', tax: CO_TAX_RATES.iva5 },
  ],
  coupon: { code: 'bienvenida10', percent: '10' },
  shipping: { title: 'Envío nacional', methodId: 'flat_rate', total: '12000.00', tax: CO_TAX_RATES.iva19 },
  fees: [{ name: 'Comisión pasarela', total: '2500.00', tax: CO_TAX_RATES.iva19 }],
  paymentMethod: 'payulatam',
};

/** A final consumer, a zero-rated line, free shipping. */
export const CONSUMER_ORDER: OrderSpec = {
  id: 4821,
  status: 'processing',
  createdAt: '2026-11-20T21:40:02',
  billing: { first_name: 'Andrés', last_name: 'Gómez', address_1: 'Carrera 7 # 45-10', city: 'Medellín', state: 'ANT', country: 'CO', email: 'andres@correo.example' },
  items: [
    { productId: 520, sku: 'LIB-CUADERNO', name: 'Cuaderno argollado', quantity: 1, price: '18900.00', tax: CO_TAX_RATES.iva19 },
    { productId: 610, sku: 'ARROZ-1KG', name: 'Arroz blanco 1 kg', quantity: 4, price: '4200.00', tax: CO_TAX_RATES.iva0 },
  ],
  shipping: { title: 'Envío gratis', methodId: 'free_shipping', total: '0.00' },
  paymentMethod: 'cod',
};
