/**
 * Everything the tuimprenta sandbox remembers: accounts and their counters, documents, the
 * idempotency store and batches. With a data file, the state is written after every change (to a
 * temporary file, then renamed, so a crash never leaves half a file) and read back at start.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TuimprentaDocumentType } from '../wire.js';
import { TUIMPRENTA_SANDBOX_SEED } from './seed.js';

export interface SandboxAccount {
  id: string;
  apiKey: string;
  webhookSecret: string;
  /** Where every event is delivered; null until set (PUT /_sandbox/webhook or the option). */
  webhookUrl: string | null;
  businessName: string;
  rif: string;
  fiscalAddress: string;
  /** Last control number the imprenta assigned (one sequence per account, all document types). */
  lastControlNumber: number;
  /** Last number per `${series}|${document_type}`. */
  lastNumbers: Record<string, number>;
}

export interface ApiErrorShape {
  type: string;
  message: string;
  field: string | null;
  code: string | null;
}

export interface StoredCancellation {
  cancelled_at: string;
  method: 'annulment' | 'credit_note';
  credit_note_id: string | null;
  credit_note_number: string | null;
  credit_note_control_number: string | null;
  reason: string | null;
}

/** One document as the imprenta holds it; `resource` in app.ts turns it into the API's JSON. */
export interface StoredInvoice {
  id: string;
  accountId: string;
  document_type: TuimprentaDocumentType;
  series: string;
  number: string;
  control_number: string | null;
  status: 'processing' | 'issued' | 'cancelled';
  /** When the control number is due while processing. */
  issue_due_at: string | null;
  created_at: string;
  issued_at: string;
  /** The request body as validated (totals included). */
  body: Record<string, unknown>;
  igtf: { base: string; rate: string; amount: string };
  grand_total: string;
  totals_ves: { exchange_rate: string; total: string; igtf: string; grand_total: string } | null;
  related_invoice_id: string | null;
  cancellation: StoredCancellation | null;
  idempotency_key: string | null;
  batch_id: string | null;
}

export interface IdempotencyEntry {
  accountId: string;
  key: string;
  bodyHash: string;
  createdAt: string;
  /** reserved: a batch row will use it; bound: an invoice was created under it. */
  state: 'reserved' | 'bound';
  batchId: string | null;
  invoiceId: string | null;
  /** The first answer, returned verbatim on a replay. */
  response: { status: number; body: unknown } | null;
}

export interface BatchEntry {
  row: number;
  /** CSV line of the invoice's first row (CSV batches). */
  line: number | null;
  idempotency_key: string | null;
  body: unknown;
}

export interface BatchRowResult {
  row: number;
  idempotency_key: string | null;
  status: 'succeeded' | 'failed';
  invoice_id: string | null;
  error: ApiErrorShape | null;
}

export interface SandboxBatch {
  id: string;
  accountId: string;
  source: 'json' | 'csv';
  status: 'queued' | 'processing' | 'completed' | 'failed' | 'partial';
  callback_url: string | null;
  created_at: string;
  /** Leaves the queue at this instant… */
  start_at: string;
  /** …and is processed at this one. */
  finish_at: string;
  started_at: string | null;
  completed_at: string | null;
  entries: BatchEntry[];
  results: BatchRowResult[];
}

export interface SandboxData {
  accounts: Record<string, SandboxAccount>;
  /** In creation order: the list endpoint's order. */
  invoices: StoredInvoice[];
  /** Keyed by `${accountId}|${key}`. */
  idempotency: Record<string, IdempotencyEntry>;
  batches: Record<string, SandboxBatch>;
}

export function seededData(webhookUrl: string | null = null): SandboxData {
  const seed = TUIMPRENTA_SANDBOX_SEED.account;
  const account: SandboxAccount = {
    id: seed.id,
    apiKey: seed.apiKey,
    webhookSecret: seed.webhookSecret,
    webhookUrl,
    businessName: seed.businessName,
    rif: seed.rif,
    fiscalAddress: seed.fiscalAddress,
    lastControlNumber: 0,
    lastNumbers: {},
  };
  return { accounts: { [account.id]: account }, invoices: [], idempotency: {}, batches: {} };
}

export class SandboxStore {
  #data: SandboxData;
  readonly #dataFile: string | undefined;
  readonly #initial: () => SandboxData;

  constructor(options: { dataFile?: string; seed?: boolean; webhookUrl?: string | null } = {}) {
    this.#dataFile = options.dataFile;
    const seed = options.seed ?? true;
    const webhookUrl = options.webhookUrl ?? null;
    this.#initial = () => (seed ? seededData(webhookUrl) : { accounts: {}, invoices: [], idempotency: {}, batches: {} });
    this.#data = this.#load() ?? this.#initial();
    this.save();
  }

  get data(): SandboxData {
    return this.#data;
  }

  accountByKey(apiKey: string): SandboxAccount | undefined {
    return Object.values(this.#data.accounts).find((account) => account.apiKey === apiKey);
  }

  invoice(accountId: string, id: string): StoredInvoice | undefined {
    return this.#data.invoices.find((invoice) => invoice.accountId === accountId && invoice.id === id);
  }

  invoiceByControlNumber(accountId: string, controlNumber: string): StoredInvoice | undefined {
    return this.#data.invoices.find((invoice) => invoice.accountId === accountId && invoice.control_number === controlNumber);
  }

  reset(): void {
    this.#data = this.#initial();
    this.save();
  }

  save(): void {
    if (!this.#dataFile) return;
    mkdirSync(dirname(this.#dataFile), { recursive: true });
    const temporary = `${this.#dataFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.#data));
    renameSync(temporary, this.#dataFile);
  }

  #load(): SandboxData | undefined {
    if (!this.#dataFile || !existsSync(this.#dataFile)) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.#dataFile, 'utf8'));
    } catch (error) {
      throw new Error(`tuimprenta sandbox data file ${this.#dataFile} is not valid JSON (${(error as Error).message}); fix or delete it`);
    }
    const data = parsed as Partial<SandboxData> | null;
    if (!data || typeof data !== 'object' || typeof data.accounts !== 'object' || !Array.isArray(data.invoices)) {
      throw new Error(`tuimprenta sandbox data file ${this.#dataFile} does not hold tuimprenta sandbox state; fix or delete it`);
    }
    return { accounts: data.accounts ?? {}, invoices: data.invoices, idempotency: data.idempotency ?? {}, batches: data.batches ?? {} };
  }
}
