/**
 * APIDIAN id tables (reference §1.10, seeded in APIDIAN from public/csv/*.csv plus migrations).
 *
 * APIDIAN's request bodies carry APIDIAN's own table ids, not DIAN codes: `tax_id: 1` means IVA
 * (DIAN code "01"), `type_document_identification_id: 6` means NIT (DIAN code "31"). Where the
 * reference lists a table completely it is complete here and the wire schemas check `exists` against
 * it; where it lists only a few rows (municipalities, unit measures, countries, currencies,
 * liabilities) the rows here are examples and the schemas only check for a positive integer id.
 */

export interface TypeDocument {
  readonly name: string;
  readonly code: string;
  /** Which key the document carries: CUFE (technical key) or CUDE (software PIN). */
  readonly algorithm: 'CUFE' | 'CUDE' | null;
  /** Prefix of DIAN's XmlFileName (fv09001234560002500000001). */
  readonly filePrefix: string | null;
}

export const TYPE_DOCUMENTS = {
  1: { name: 'Factura de Venta Nacional', code: '01', algorithm: 'CUFE', filePrefix: 'fv' },
  2: { name: 'Factura de Exportación', code: '02', algorithm: 'CUFE', filePrefix: 'fv' },
  3: { name: 'Factura de Contingencia', code: '03', algorithm: 'CUDE', filePrefix: 'fv' },
  4: { name: 'Nota Crédito', code: '91', algorithm: 'CUDE', filePrefix: 'nc' },
  5: { name: 'Nota Débito', code: '92', algorithm: 'CUDE', filePrefix: 'nd' },
  6: { name: 'ZIP', code: '', algorithm: null, filePrefix: 'z' },
  7: { name: 'AttachedDocument', code: '89', algorithm: null, filePrefix: 'ad' },
  8: { name: 'ApplicationResponse', code: '88', algorithm: null, filePrefix: 'ar' },
  25: { name: 'Nota Débito de ajuste a documento equivalente', code: '93', algorithm: 'CUDE', filePrefix: 'nd' },
  26: { name: 'Nota Crédito de ajuste a documento equivalente', code: '94', algorithm: 'CUDE', filePrefix: 'nc' },
} as const satisfies Record<number, TypeDocument>;

/** Ids of the documents Puente issues, by FiscalDocument kind. */
export const TYPE_DOCUMENT_ID = {
  invoice: 1,
  export_invoice: 2,
  credit_note: 4,
  debit_note: 5,
} as const;

/** Every type_documents id APIDIAN seeds (1–12, 15–26); `exists:type_documents,id` checks against it. */
export const TYPE_DOCUMENT_IDS: ReadonlySet<number> = new Set([
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
]);

export const TAXES = {
  1: { name: 'IVA', code: '01' },
  2: { name: 'IC', code: '02' },
  3: { name: 'ICA', code: '03' },
  4: { name: 'INC', code: '04' },
  5: { name: 'ReteIVA', code: '05' },
  6: { name: 'ReteRenta', code: '06' },
  7: { name: 'ReteICA', code: '07' },
  8: { name: 'FtoHorticultura', code: '20' },
  9: { name: 'Timbre', code: '21' },
  10: { name: 'INC Bolsas', code: '22' },
  11: { name: 'INCarbono', code: '23' },
  12: { name: 'INCombustibles', code: '24' },
  13: { name: 'Sobretasa Combustibles', code: '25' },
  14: { name: 'Sordicom', code: '26' },
  15: { name: 'No aplica *', code: 'ZZ' },
  16: { name: 'IC Porcentual', code: '30' },
  17: { name: 'IC Datos', code: '08' },
  18: { name: 'IVA e INC', code: 'ZA' },
} as const satisfies Record<number, { name: string; code: string }>;

/** The three taxes the CUFE/CUDE names (§1.9). */
export const TAX_ID = { IVA: 1, ICA: 3, INC: 4, INC_BOLSAS: 10 } as const;

export const PAYMENT_FORMS = {
  1: { name: 'Contado', code: '1' },
  2: { name: 'Crédito', code: '2' },
} as const;

export const PAYMENT_FORM_ID = { cash: 1, credit: 2 } as const;

/** The common payment methods; ids 1–53 equal their DIAN code, 54–75 map to codes 60–97 and ZZZ. */
export const PAYMENT_METHODS = {
  1: { name: 'Instrumento no definido', code: '1' },
  10: { name: 'Efectivo', code: '10' },
  20: { name: 'Cheque', code: '20' },
  30: { name: 'Transferencia Crédito', code: '30' },
  31: { name: 'Transferencia Débito', code: '31' },
  42: { name: 'Consignación bancaria', code: '42' },
  47: { name: 'Transferencia Débito Bancaria', code: '47' },
  48: { name: 'Tarjeta Crédito', code: '48' },
  49: { name: 'Tarjeta Débito', code: '49' },
  75: { name: 'Acuerdo mutuo', code: 'ZZZ' },
} as const;

/** Every payment_methods id APIDIAN seeds. */
export const PAYMENT_METHOD_ID_RANGE = { min: 1, max: 75 } as const;

export const TYPE_DOCUMENT_IDENTIFICATIONS = {
  1: { name: 'Registro civil', code: '11' },
  2: { name: 'Tarjeta de identidad', code: '12' },
  3: { name: 'Cédula de ciudadanía', code: '13' },
  4: { name: 'Tarjeta de extranjería', code: '21' },
  5: { name: 'Cédula de extranjería', code: '22' },
  6: { name: 'NIT', code: '31' },
  7: { name: 'Pasaporte', code: '41' },
  8: { name: 'Documento de identificación extranjero', code: '42' },
  9: { name: 'NIT de otro país', code: '50' },
  10: { name: 'NUIP', code: '91' },
} as const;

export const TYPE_DOCUMENT_IDENTIFICATION_ID = {
  CIVIL_REGISTRY: 1,
  IDENTITY_CARD: 2,
  CC: 3,
  FOREIGNER_CARD: 4,
  CE: 5,
  NIT: 6,
  PASSPORT: 7,
  FOREIGN_ID: 8,
  FOREIGN_NIT: 9,
  NUIP: 10,
} as const;

/** The anonymous buyer ("consumidor final"). */
export const FINAL_CONSUMER_ID = '222222222222';

export const TYPE_ORGANIZATIONS = {
  1: { name: 'Persona Jurídica' },
  2: { name: 'Persona Natural' },
} as const;

export const TYPE_REGIMES = {
  1: { name: 'Responsable de IVA', code: '48' },
  2: { name: 'No Responsable de IVA', code: '49' },
} as const;

/** A few rows of type_liabilities (the table is longer). */
export const TYPE_LIABILITIES = {
  7: { name: 'Gran contribuyente', code: 'O-13' },
  9: { name: 'Autorretenedor', code: 'O-15' },
  14: { name: 'Agente de retención IVA', code: 'O-23' },
  112: { name: 'Régimen Simple de Tributación', code: 'O-47' },
  117: { name: 'No aplica – Otros', code: 'R-99-PN' },
} as const;

export const TYPE_ITEM_IDENTIFICATIONS = {
  1: { name: 'UNSPSC', code: '001' },
  2: { name: 'GTIN', code: '010' },
  3: { name: 'Partida Arancelaria', code: '020' },
  4: { name: 'Estándar de adopción del contribuyente', code: '999' },
} as const;

/** type_operations after the 2021 migration removed 4, 7 and 13–20. */
export const TYPE_OPERATIONS = {
  5: { name: 'Nota Débito sin referencia a facturas', code: '32' },
  6: { name: 'Nota Débito que referencia una factura electrónica', code: '30' },
  8: { name: 'Nota Crédito sin referencia a facturas', code: '22' },
  9: { name: 'AIU', code: '09' },
  10: { name: 'Estándar', code: '10' },
  11: { name: 'Mandatos', code: '11' },
  12: { name: 'Nota Crédito que referencia una factura electrónica', code: '20' },
  21: { name: 'Transporte', code: '12' },
  22: { name: 'Cambiario', code: '13' },
} as const;

export const TYPE_OPERATION_ID = {
  STANDARD: 10,
  CREDIT_NOTE_WITH_REFERENCE: 12,
  CREDIT_NOTE_WITHOUT_REFERENCE: 8,
  DEBIT_NOTE_WITH_REFERENCE: 6,
  DEBIT_NOTE_WITHOUT_REFERENCE: 5,
} as const;

/** A few rows of unit_measures (the table follows UN/ECE rec 20). */
export const UNIT_MEASURES = {
  70: { name: 'Unidad', code: '94' },
  642: { name: 'cada', code: 'EA' },
} as const;

export const UNIT_MEASURE_ID = { UNIT: 70, EACH: 642 } as const;

export const TYPE_CURRENCIES = {
  35: { name: 'Peso colombiano', code: 'COP' },
  149: { name: 'Dólar estadounidense', code: 'USD' },
  49: { name: 'Euro', code: 'EUR' },
} as const;

export const CURRENCY_ID = { COP: 35, USD: 149, EUR: 49 } as const;

export const COUNTRIES = {
  46: { name: 'Colombia', code: 'CO' },
  65: { name: 'Estados Unidos', code: 'US' },
} as const;

export const COUNTRY_ID = { CO: 46, US: 65 } as const;

/** A few municipalities (id → DANE code). */
export const MUNICIPALITIES = {
  149: { name: 'Bogotá, D.C.', code: '11001' },
  600: { name: 'San José del Palmar', code: '27660' },
  820: { name: 'Armenia', code: '63001' },
  822: { name: 'Calarcá', code: '63130' },
} as const;

/** Concepto de corrección of a credit note (discrepancyresponsecode; the validator allows 1–6). */
export const CREDIT_NOTE_DISCREPANCIES = {
  1: 'Devolución parcial de los bienes y/o no aceptación parcial del servicio',
  2: 'Anulación de factura electrónica',
  3: 'Rebaja o descuento parcial o total',
  4: 'Ajuste de precio',
  5: 'Otros',
} as const;

/** Concepto de corrección of a debit note (discrepancyresponsecode 1–4). */
export const DEBIT_NOTE_DISCREPANCIES = {
  1: 'Intereses',
  2: 'Gastos por cobrar',
  3: 'Cambio del valor',
  4: 'Otros',
} as const;

export const REFERENCE_PRICES = {
  1: 'Valor comercial',
  2: 'Valor en inventarios',
  3: 'Otro valor',
} as const;

/** discounts (allowance reason codes); ids 1–12, DIAN codes 00–11. */
export const DISCOUNT_ID_RANGE = { min: 1, max: 12 } as const;
export const DISCOUNT_ID = { TAX_ASSUMED: 1, GENERAL: 10, VOLUME: 11, OTHER: 12 } as const;

export const TYPE_ENVIRONMENTS = {
  1: 'Producción',
  2: 'Pruebas',
} as const;
export type TypeEnvironmentId = 1 | 2;

export const INCOTERMS = ['CFR', 'CIP', 'CPT', 'DAP', 'DAT', 'DDP', 'FOB', 'EXW', 'CIF', 'FAS', 'FCA'] as const;
export type Incoterm = (typeof INCOTERMS)[number];

const NIT_WEIGHTS = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71] as const;

/**
 * DIAN's NIT check digit (APIDIAN's `dian_dv` rule, §1.9): weights applied to the digits from the
 * right, r = Σ mod 11, DV = r when r is 0 or 1, else 11 − r.
 * Throws for anything that is not 1–15 digits: callers decide what a non-numeric id means.
 */
export function nitCheckDigit(nit: string): number {
  if (!/^\d{1,15}$/.test(nit)) {
    throw new RangeError(`a NIT must be 1 to 15 digits to have a check digit (got ${nit.length} characters)`);
  }
  let sum = 0;
  const digits = nit.split('').reverse();
  digits.forEach((digit, index) => {
    sum += Number(digit) * (NIT_WEIGHTS[index] as number);
  });
  const r = sum % 11;
  return r === 0 || r === 1 ? r : 11 - r;
}
