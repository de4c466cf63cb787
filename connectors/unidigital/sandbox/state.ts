/**
 * What the Unidigital sandbox remembers: accounts (with series and control-number sequence), issued
 * tokens, batches and documents. With a data file the state is written after every change (to a
 * temporary file, then renamed) and read back at start.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { demoAccount, type SandboxAccount } from './seed.js';

export type SandboxDocumentStatus = 'Created' | 'Approved' | 'Assigned' | 'Cancelled';

export interface SandboxDocument {
  strongId: string;
  userName: string;
  serieStrongId: string;
  documentType: string;
  number: number;
  systemReference: string | null;
  batchStrongId: string | null;
  status: SandboxDocumentStatus;
  /** 0 until assigned. */
  controlNumber: number;
  annulled: boolean;
  createdAt: string;
  approvedAt: string | null;
  assignedAt: string | null;
  name: string;
  currency: string;
  total: string;
  grandTotal: string;
  grandTotalVES: string;
  affectedDocumentNumber: number | null;
  wire: unknown;
}

export interface SandboxBatch {
  strongId: string;
  userName: string;
  serieStrongId: string;
  /** 1 Abierto, 2 Cerrado, 3 Aprobado, 5 Cancelado (§2.7). */
  currentStatus: 1 | 2 | 3 | 5;
  date: string;
}

export interface SandboxData {
  accounts: Record<string, SandboxAccount>;
  tokens: Record<string, { userName: string; expiresAt: number }>;
  batches: Record<string, SandboxBatch>;
  documents: SandboxDocument[];
}

function seeded(): SandboxData {
  const account = demoAccount();
  return { accounts: { [account.userName]: account }, tokens: {}, batches: {}, documents: [] };
}

export class SandboxStore {
  #data: SandboxData;
  readonly #dataFile: string | undefined;

  constructor(options: { dataFile?: string } = {}) {
    this.#dataFile = options.dataFile;
    this.#data = this.#load() ?? seeded();
    this.save();
  }

  get data(): SandboxData {
    return this.#data;
  }

  reset(): void {
    this.#data = seeded();
    this.save();
  }

  save(): void {
    if (!this.#dataFile) return;
    mkdirSync(dirname(this.#dataFile), { recursive: true });
    const temporary = `${this.#dataFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.#data));
    renameSync(temporary, this.#dataFile);
  }

  /** The last Number used for a series and type: what GET /series/counters answers. Cancelled documents free theirs. */
  counter(userName: string, serieStrongId: string, documentType: string): number {
    let last = 0;
    for (const doc of this.#data.documents) {
      if (doc.userName === userName && doc.serieStrongId === serieStrongId && doc.documentType === documentType && doc.status !== 'Cancelled') {
        last = Math.max(last, doc.number);
      }
    }
    return last;
  }

  #load(): SandboxData | undefined {
    if (!this.#dataFile || !existsSync(this.#dataFile)) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.#dataFile, 'utf8'));
    } catch (error) {
      throw new Error(`Unidigital sandbox data file ${this.#dataFile} is not valid JSON (${(error as Error).message}); fix or delete it`);
    }
    const data = parsed as Partial<SandboxData> | null;
    if (!data || typeof data !== 'object' || typeof data.accounts !== 'object' || !Array.isArray(data.documents)) {
      throw new Error(`Unidigital sandbox data file ${this.#dataFile} does not hold sandbox state; fix or delete it`);
    }
    return { accounts: data.accounts ?? {}, tokens: data.tokens ?? {}, batches: data.batches ?? {}, documents: data.documents };
  }
}
