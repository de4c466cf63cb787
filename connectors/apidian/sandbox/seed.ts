/**
 * The demo company every fresh sandbox starts with, so `puente demo` and the tests can send
 * documents without registering anything. The values mirror DIAN's habilitación (test) set-up:
 * the SETP prefix, resolution 18760000001 and DIAN's published test technical key.
 */
import { nitCheckDigit } from '../ids.js';

/** A fixed, well-known token (64 hex chars, like sha256 of a password) for the demo company. */
export const APIDIAN_SANDBOX_DEMO_TOKEN = '144088fd7593c404a5bf97d7a04534eafa5d2bbfb99be475b1237821b743843c';

export const APIDIAN_SANDBOX_DEMO_NIT = '900123456';

/** DIAN's technical key for the habilitación numbering range SETP 990000000–995000000. */
export const APIDIAN_TEST_TECHNICAL_KEY = 'fc8eac422eba16e22ffd8c6f94b3f40a6e38162c';

export interface SandboxResolution {
  type_document_id: number;
  prefix: string;
  /** The DIAN resolution number; notes have none of their own in habilitación. */
  resolution: string | null;
  resolution_date: string | null;
  technical_key: string | null;
  from: number;
  to: number;
  date_from: string | null;
  date_to: string | null;
}

export const APIDIAN_SANDBOX_SEED = {
  company: {
    nit: APIDIAN_SANDBOX_DEMO_NIT,
    dv: String(nitCheckDigit(APIDIAN_SANDBOX_DEMO_NIT)),
    businessName: 'PUENTE DEMO S.A.S.',
    email: 'facturacion@puente-demo.example',
    token: APIDIAN_SANDBOX_DEMO_TOKEN,
  },
  /** The software registered at DIAN (its id is a GUID; the PIN is 5 digits). */
  software: {
    id: '5b1d6f3e-8a2c-4d7b-9e15-0c4a7f2b9d63',
    pin: '12345',
    url: 'https://vpfe-hab.dian.gov.co/WcfDianCustomerServices.svc',
  },
  /** type_environment_id 2 = Pruebas (habilitación): ProfileExecutionID 2 in the CUFE. */
  environment: 2 as 1 | 2,
  resolutions: {
    invoice: {
      type_document_id: 1,
      prefix: 'SETP',
      resolution: '18760000001',
      resolution_date: '2019-01-19',
      technical_key: APIDIAN_TEST_TECHNICAL_KEY,
      from: 990000000,
      to: 995000000,
      date_from: '2019-01-19',
      date_to: '2030-01-19',
    },
    credit_note: {
      type_document_id: 4,
      prefix: 'NC',
      resolution: null,
      resolution_date: null,
      technical_key: null,
      from: 1,
      to: 99999999,
      date_from: null,
      date_to: null,
    },
    debit_note: {
      type_document_id: 5,
      prefix: 'ND',
      resolution: null,
      resolution_date: null,
      technical_key: null,
      from: 1,
      to: 99999999,
      date_from: null,
      date_to: null,
    },
    // Our choice: the reference gives no habilitación range for export invoices; APIDIAN limits an
    // export prefix to 4 characters, and DIAN's test technical key is reused.
    export_invoice: {
      type_document_id: 2,
      prefix: 'EXP',
      resolution: '18760000002',
      resolution_date: '2019-01-19',
      technical_key: APIDIAN_TEST_TECHNICAL_KEY,
      from: 1,
      to: 99999999,
      date_from: '2019-01-19',
      date_to: '2030-01-19',
    },
  },
} as const satisfies {
  company: Record<string, string>;
  software: Record<string, string>;
  environment: 1 | 2;
  resolutions: Record<'invoice' | 'credit_note' | 'debit_note' | 'export_invoice', SandboxResolution>;
};

/**
 * The seed in the shape of an APIDIAN target account (connectors/apidian/config.ts) minus `baseUrl`,
 * so Puente's default configuration can point at a fresh sandbox.
 */
export const APIDIAN_SANDBOX_TARGET_DEFAULTS = {
  type: 'apidian',
  token: APIDIAN_SANDBOX_DEMO_TOKEN,
  supplierNit: APIDIAN_SANDBOX_DEMO_NIT,
  softwarePin: APIDIAN_SANDBOX_SEED.software.pin,
  environment: APIDIAN_SANDBOX_SEED.environment,
  resolutions: {
    invoice: {
      prefix: 'SETP',
      resolutionNumber: '18760000001',
      technicalKey: APIDIAN_TEST_TECHNICAL_KEY,
      from: 990000000,
      to: 995000000,
    },
    credit_note: { prefix: 'NC', from: 1, to: 99999999 },
    debit_note: { prefix: 'ND', from: 1, to: 99999999 },
    export_invoice: {
      prefix: 'EXP',
      resolutionNumber: '18760000002',
      technicalKey: APIDIAN_TEST_TECHNICAL_KEY,
      from: 1,
      to: 99999999,
    },
  },
} as const;
