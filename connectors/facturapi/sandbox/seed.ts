/**
 * The demo account every fresh FacturApi sandbox starts with, so `puente demo` and the tests can
 * send documents without registering anything, plus a few taxpayers the RUC lookup knows.
 * The issuer RUC 80123456-5 is made up (its check digit is SET's modulo 11).
 */

export const FACTURAPI_SANDBOX_DEMO_TENANT = 'puente-demo';
/** A fixed, well-known key for the demo tenant (FacturaSend's keys look like api_key_…). */
export const FACTURAPI_SANDBOX_DEMO_API_KEY = 'api_key_puente_demo_3f9c2e7a41b84d6f9a0c5e1b2d7f8a64';
export const FACTURAPI_SANDBOX_DEMO_RUC = '80123456-5';

export interface SandboxTenant {
  id: string;
  apiKey: string;
  /** RUC without DV. */
  ruc: string;
  dv: string;
  tipoContribuyente: 1 | 2;
  razonSocial: string;
  timbrado: string;
  /** Establecimientos the timbrado covers. */
  establecimientos: string[];
  /** xmlgen's redondeoSedeco for this account (default true). */
  redondeoSedeco: boolean;
}

export interface SandboxTaxpayer {
  razonSocial: string;
  /** ACT activo, SUS suspendido, CAN cancelado, BLQ bloqueado. */
  estado: 'ACT' | 'SUS' | 'CAN' | 'BLQ';
  facturadorElectronico: boolean;
}

export const FACTURAPI_SANDBOX_SEED = {
  tenant: {
    id: FACTURAPI_SANDBOX_DEMO_TENANT,
    apiKey: FACTURAPI_SANDBOX_DEMO_API_KEY,
    ruc: '80123456',
    dv: '5',
    tipoContribuyente: 2,
    razonSocial: 'PUENTE DEMO S.A.',
    timbrado: '12558946',
    establecimientos: ['001', '002'],
    redondeoSedeco: true,
  } satisfies SandboxTenant,
  /** RUC (without DV) → taxpayer, for consulta RUC. */
  taxpayers: {
    '80123456': { razonSocial: 'PUENTE DEMO S.A.', estado: 'ACT', facturadorElectronico: true },
    '80069563': { razonSocial: 'TIPS S.A. TECNOLOGIA Y SERVICIOS', estado: 'ACT', facturadorElectronico: true },
    '3437941': { razonSocial: 'GONZALEZ BENITEZ, MARIA JOSE', estado: 'ACT', facturadorElectronico: false },
    '80000001': { razonSocial: 'COMERCIAL SUSPENDIDA S.R.L.', estado: 'SUS', facturadorElectronico: false },
  } satisfies Record<string, SandboxTaxpayer>,
} as const;

/** The seed as a FacturApi target block (connectors/facturapi/config.ts) minus baseUrl. */
export const FACTURAPI_SANDBOX_TARGET_DEFAULTS = {
  type: 'facturapi',
  tenantId: FACTURAPI_SANDBOX_DEMO_TENANT,
  apiKey: FACTURAPI_SANDBOX_DEMO_API_KEY,
  ruc: FACTURAPI_SANDBOX_DEMO_RUC,
  tipoContribuyente: 2,
  establecimiento: '001',
  punto: '001',
} as const;
