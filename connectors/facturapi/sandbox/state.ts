/**
 * Everything the FacturApi sandbox remembers: tenants, the documents it generated with SIFEN's
 * verdict, lotes, events and inutilized ranges. With a data file the state is written after every
 * change (temporary file, then rename) and read back at start, so a standalone sandbox survives
 * restarts the way the real service does.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SifenVerdict } from '../codes.js';
import type { ResultReason } from '../routes.js';
import { FACTURAPI_SANDBOX_SEED, type SandboxTaxpayer, type SandboxTenant } from './seed.js';

export interface SandboxVerdict {
  dEstRes: SifenVerdict;
  dProtAut?: string;
  gResProc: ResultReason[];
}

export interface StoredDocument {
  cdc: string;
  tenant: string;
  tipoDocumento: number;
  establecimiento: string;
  punto: string;
  numero: string;
  /** SIFEN's local date-time as sent. */
  fecha: string;
  loteId: string;
  receivedAt: string;
  /** SIFEN's totals (tax.ts field names), as strings. */
  totals: Record<string, string>;
  /** CDC of the document a note corrects (documentoAsociado formato 1). */
  associatedCdc: string | null;
  /** Decided when the lote arrived, revealed once the lote is processed. */
  verdict: SandboxVerdict;
  cancelledAt: string | null;
  wire: Record<string, unknown>;
}

export interface StoredLote {
  loteId: string;
  tenant: string;
  tipoDocumento: number;
  receivedAt: string;
  /** Before this instant the lote is "en procesamiento". */
  readyAt: string;
  /** Consultations still to be answered 0361 (a deterministic alternative to readyAt). */
  pendingPolls: number;
  cdcs: string[];
}

export interface StoredEvent {
  id: string;
  tenant: string;
  type: 'cancelacion' | 'inutilizacion';
  at: string;
  data: Record<string, unknown>;
}

export interface InutilizedRange {
  tenant: string;
  tipoDocumento: number;
  establecimiento: string;
  punto: string;
  desde: number;
  hasta: number;
}

export interface SandboxData {
  tenants: Record<string, SandboxTenant>;
  taxpayers: Record<string, SandboxTaxpayer>;
  documents: StoredDocument[];
  lotes: Record<string, StoredLote>;
  events: StoredEvent[];
  inutilized: InutilizedRange[];
  /** Source of lote numbers and protocol numbers. */
  sequence: number;
}

export function seededData(): SandboxData {
  const tenant = structuredClone(FACTURAPI_SANDBOX_SEED.tenant) as SandboxTenant;
  return {
    tenants: { [tenant.id]: tenant },
    taxpayers: structuredClone(FACTURAPI_SANDBOX_SEED.taxpayers) as Record<string, SandboxTaxpayer>,
    documents: [],
    lotes: {},
    events: [],
    inutilized: [],
    sequence: 0,
  };
}

function emptyData(): SandboxData {
  return { tenants: {}, taxpayers: {}, documents: [], lotes: {}, events: [], inutilized: [], sequence: 0 };
}

export class SandboxStore {
  #data: SandboxData;
  readonly #dataFile: string | undefined;
  readonly #seed: boolean;

  constructor(options: { dataFile?: string; seed?: boolean } = {}) {
    this.#dataFile = options.dataFile;
    this.#seed = options.seed ?? true;
    this.#data = this.#load() ?? this.#initial();
    this.save();
  }

  get data(): SandboxData {
    return this.#data;
  }

  tenant(id: string): SandboxTenant | undefined {
    return Object.hasOwn(this.#data.tenants, id) ? this.#data.tenants[id] : undefined;
  }

  /** A new number for a lote (dProtConsLote) or an authorization (dProtAut). */
  nextNumber(): string {
    this.#data.sequence += 1;
    return String(1_000_000_000 + this.#data.sequence);
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

  #initial(): SandboxData {
    return this.#seed ? seededData() : emptyData();
  }

  #load(): SandboxData | undefined {
    if (!this.#dataFile || !existsSync(this.#dataFile)) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.#dataFile, 'utf8'));
    } catch (error) {
      throw new Error(`FacturApi sandbox data file ${this.#dataFile} is not valid JSON (${(error as Error).message}); fix or delete it`);
    }
    const data = parsed as Partial<SandboxData> | null;
    if (!data || typeof data !== 'object' || typeof data.tenants !== 'object' || !Array.isArray(data.documents)) {
      throw new Error(`FacturApi sandbox data file ${this.#dataFile} does not hold FacturApi sandbox state; fix or delete it`);
    }
    return {
      tenants: data.tenants ?? {},
      taxpayers: data.taxpayers ?? {},
      documents: data.documents,
      lotes: data.lotes ?? {},
      events: data.events ?? [],
      inutilized: data.inutilized ?? [],
      sequence: data.sequence ?? 0,
    };
  }
}
