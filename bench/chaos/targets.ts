/**
 * The four invoicing APIs as the chaos run sees them: how Puente is configured for each (one Shopify
 * shop per target), and how each sandbox's `GET /_sandbox/documents` reads as the same few facts —
 * kind, series, number, total, buyer, and whether the API holds it as a valid fiscal document.
 */
import { APIDIAN_SANDBOX_DEMO_TOKEN } from '../../connectors/apidian/sandbox/index.js';
import { FACTURAPI_SANDBOX_TARGET_DEFAULTS } from '../../connectors/facturapi/sandbox/index.js';
import { TUIMPRENTA_SANDBOX_API_KEY, TUIMPRENTA_SANDBOX_WEBHOOK_SECRET } from '../../connectors/tuimprenta/sandbox/seed.js';
import { UNIDIGITAL_SANDBOX_TARGET_DEFAULTS } from '../../connectors/unidigital/sandbox/seed.js';
import { Dec } from '../../src/domain/money.js';
import type { Country } from './orders.js';

export type TargetName = 'apidian' | 'unidigital' | 'tuimprenta' | 'facturapi';
export const TARGET_NAMES: readonly TargetName[] = ['apidian', 'unidigital', 'tuimprenta', 'facturapi'];

export type FiscalKind = 'invoice' | 'credit_note' | 'debit_note';

/** One document as the sandbox holds it. */
export interface HeldDocument {
  kind: FiscalKind;
  series: string;
  number: number;
  total: Dec;
  buyer: string;
  /** A valid fiscal document (not rejected, not a refused duplicate). */
  valid: boolean;
  /** The sandbox's own state word, for the report. */
  state: string;
  /** An invoice the API annulled outright (tuimprenta's cancel): it was issued, and a cancellation needs no credit note. */
  annulled?: boolean;
}

export interface TargetProfile {
  name: TargetName;
  country: Country;
  shop: string;
  /** Decimals of the document currency: totals are compared at this precision. */
  decimals: number;
  /** The `targets:` entry, indented by 4, given the base URL the sandbox printed. */
  targetBlock(baseUrl: string): string;
  /** The connection's extra keys. */
  connection: string;
  /** After the sandbox is up, before Puente starts. */
  prepare?(origin: string): Promise<void>;
  read(origin: string): Promise<HeldDocument[]>;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return (await response.json()) as T;
}

async function postJson(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`POST ${url}: ${response.status}`);
}

const BATCH = (max: number) => `    batch: { maxDocuments: ${max}, lingerMs: 300 }`;

export const TARGETS: Record<TargetName, TargetProfile> = {
  apidian: {
    name: 'apidian',
    country: 'CO',
    shop: 'caos-co.myshopify.com',
    decimals: 2,
    targetBlock: (baseUrl) =>
      [
        `    type: apidian`,
        `    baseUrl: ${baseUrl}`,
        `    token: ${APIDIAN_SANDBOX_DEMO_TOKEN}`,
        `    supplierNit: "900123456"`,
        `    softwarePin: "12345"`,
        `    environment: 2`,
        `    requestsPerMinute: 6000`,
        `    statusPollMs: 300`,
        `    resolutions:`,
        `      invoice: { prefix: SETP, resolutionNumber: "18760000001", technicalKey: fc8eac422eba16e22ffd8c6f94b3f40a6e38162c, from: 990000000, to: 995000000 }`,
        `      credit_note: { prefix: NC, from: 1, to: 99999999 }`,
        `      debit_note: { prefix: ND, from: 1, to: 99999999 }`,
        BATCH(5),
      ].join('\n'),
    connection: 'timezone: America/Bogota',
    async read(origin) {
      const { documents } = await getJson<{ documents: ApidianView[] }>(`${origin}/_sandbox/documents?all=1`);
      return documents.map((d) => ({
        kind: d.kind as FiscalKind,
        series: d.prefix,
        number: Number(d.number),
        total: new Dec(d.totals.payableAmount),
        buyer: String(d.wire?.customer?.name ?? ''),
        valid: d.isValid === true || d.isValid === 'true',
        state: `isValid=${String(d.isValid)} ${d.statusCode ?? ''} ${JSON.stringify(d.errorMessages ?? [])}`.trim(),
      }));
    },
  },
  unidigital: {
    name: 'unidigital',
    country: 'VE',
    shop: 'caos-ve-uni.myshopify.com',
    decimals: 2,
    targetBlock: (baseUrl) => {
      const defaults = UNIDIGITAL_SANDBOX_TARGET_DEFAULTS;
      return [
        `    type: unidigital`,
        `    baseUrl: ${baseUrl}`,
        `    userName: ${defaults.userName}`,
        `    password: ${defaults.password}`,
        `    series: { strongId: ${defaults.series.strongId}, name: ${defaults.series.name} }`,
        BATCH(10),
        `    statusPollMs: 300`,
      ].join('\n');
    },
    connection: 'country: VE, timezone: America/Caracas',
    // The imprenta assigns control numbers a minute after approval; the chaos run's, after half a second.
    prepare: (origin) => postJson(`${origin}/_sandbox/settings`, { controlNumberDelayMs: 500 }),
    async read(origin) {
      const { documents } = await getJson<{ documents: UnidigitalView[] }>(`${origin}/_sandbox/documents`);
      const kinds: Record<string, FiscalKind> = { FA: 'invoice', NC: 'credit_note', ND: 'debit_note' };
      return documents.map((d) => ({
        kind: kinds[d.codeName]!,
        series: `${d.serie}/${d.codeName}`,
        number: Number(d.number),
        total: new Dec(d.total),
        buyer: d.name,
        valid: !d.annulled && d.status !== 'Cancelled' && d.controlNumber > 0,
        state: `${d.status}${d.controlNumber > 0 ? '' : ' (no control number)'}`,
      }));
    },
  },
  tuimprenta: {
    name: 'tuimprenta',
    country: 'VE',
    shop: 'caos-ve-tui.myshopify.com',
    decimals: 2,
    targetBlock: (baseUrl) =>
      [
        `    type: tuimprenta`,
        `    baseUrl: ${baseUrl}`,
        `    apiKey: ${TUIMPRENTA_SANDBOX_API_KEY}`,
        `    webhookSecret: ${TUIMPRENTA_SANDBOX_WEBHOOK_SECRET}`,
        `    requestsPerMinute: 6000`,
        BATCH(10),
        `    statusPollMs: 300`,
      ].join('\n'),
    connection: 'country: VE, timezone: America/Caracas, targetSettings: { series: A }',
    async read(origin) {
      const { documents } = await getJson<{ documents: TuimprentaView[] }>(`${origin}/_sandbox/documents`);
      return documents.map((d) => ({
        kind: d.document_type,
        series: `${d.series}/${d.document_type}`,
        number: Number(d.number),
        total: new Dec(d.totals.total),
        buyer: String(d.customer?.name ?? ''),
        // A cancelled invoice was issued first (it has its control number); cancel annulled it.
        valid: (d.status === 'issued' || d.status === 'cancelled') && d.control_number !== null,
        state: d.status,
        annulled: d.status === 'cancelled',
      }));
    },
  },
  facturapi: {
    name: 'facturapi',
    country: 'PY',
    shop: 'caos-py.myshopify.com',
    decimals: 0,
    // JSON values are YAML too: the sandbox's demo account, as its seed states it.
    targetBlock: (baseUrl) =>
      [...Object.entries({ ...FACTURAPI_SANDBOX_TARGET_DEFAULTS, baseUrl, requestsPerMinute: 6000 }).map(([key, value]) => `    ${key}: ${JSON.stringify(value)}`), BATCH(50)].join('\n'),
    connection: 'country: PY, timezone: America/Asuncion, targetSettings: { establecimiento: "001", punto: "001" }',
    async read(origin) {
      const { documents } = await getJson<{ documents: FacturapiView[] }>(`${origin}/_sandbox/documents`);
      return documents.map((d) => {
        const parts = d.numero.split('-');
        return {
          kind: d.kind as FiscalKind,
          series: `${parts.slice(0, -1).join('-')}/${d.kind}`,
          number: Number(parts.at(-1)),
          total: new Dec(d.totals.dTotOpe ?? '0'),
          buyer: String(d.wire?.cliente?.razonSocial ?? ''),
          valid: /^(1-Aprobado|2-Aprobado con observación)$/.test(d.estado),
          state: d.estado,
        };
      });
    },
  },
};

interface ApidianView {
  kind: string;
  prefix: string;
  number: number;
  totals: { payableAmount: string };
  isValid: boolean | string;
  statusCode?: string;
  errorMessages?: unknown;
  wire?: { customer?: { name?: string } };
}

interface UnidigitalView {
  codeName: 'FA' | 'NC' | 'ND';
  serie: string;
  number: number;
  status: string;
  controlNumber: number;
  annulled: boolean;
  name: string;
  total: string;
}

interface TuimprentaView {
  document_type: FiscalKind;
  series: string;
  number: string;
  status: string;
  control_number: string | null;
  totals: { total: string };
  customer?: { name?: string };
}

interface FacturapiView {
  kind: string;
  numero: string;
  estado: string;
  totals: Record<string, string | undefined>;
  wire?: { cliente?: { razonSocial?: string } };
}
