/**
 * The demo account every fresh tuimprenta sandbox starts with, so `puente demo`, merchants and the
 * tests can issue documents without signing up. Fixed, well-known credentials: sandbox only.
 */

export const TUIMPRENTA_SANDBOX_API_KEY = 'sk_test_puente_demo_5f2c9a7e41b84d0c9e3a6b1d';
export const TUIMPRENTA_SANDBOX_WEBHOOK_SECRET = 'whsec_puente_demo_8d41c7f2a9e34b6c';
export const TUIMPRENTA_SANDBOX_ACCOUNT_ID = 'acct_puente_demo';

export const TUIMPRENTA_SANDBOX_SEED = {
  account: {
    id: TUIMPRENTA_SANDBOX_ACCOUNT_ID,
    apiKey: TUIMPRENTA_SANDBOX_API_KEY,
    webhookSecret: TUIMPRENTA_SANDBOX_WEBHOOK_SECRET,
    businessName: 'PUENTE DEMO, C.A.',
    /** J-40123456-9: a RIF whose check digit is right (src/domain/identifiers.ts). */
    rif: 'J-40123456-9',
    fiscalAddress: 'Av. Francisco de Miranda, Torre Europa, piso 4, Chacao, Caracas 1060',
  },
  /** The imprenta digital itself, named on every document (PA SNAT/2024/000102). */
  imprenta: { name: 'TUIMPRENTA DIGITAL, C.A. (sandbox)', rif: 'J-31234567-5' },
} as const;

/** What a target block needs to point at the seeded account (add baseUrl). */
export const TUIMPRENTA_SANDBOX_TARGET_DEFAULTS = {
  type: 'tuimprenta',
  apiKey: TUIMPRENTA_SANDBOX_API_KEY,
  webhookSecret: TUIMPRENTA_SANDBOX_WEBHOOK_SECRET,
} as const;
