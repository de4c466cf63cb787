/**
 * Everything the sandbox remembers: companies (token, software, resolutions), every document DIAN
 * judged, open batches and sent zips. With a data file the state is written after every change
 * (write to a temporary file, then rename, so a crash never leaves half a file) and read back at
 * start, so a standalone sandbox survives restarts the way a real APIDIAN install does.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ApidianDocumentKind } from '../wire.js';
import { APIDIAN_SANDBOX_SEED, type SandboxResolution } from './seed.js';

export type { SandboxResolution } from './seed.js';

export interface SandboxSoftware {
  id: string;
  pin: string;
  url: string;
}

export interface SandboxCompany {
  nit: string;
  dv: string | null;
  businessName: string;
  email: string | null;
  token: string;
  software: SandboxSoftware | null;
  environment: 1 | 2;
  resolutions: SandboxResolution[];
  /** Next sequence of DIAN's XmlFileName, per file prefix and year (`fv25`). */
  fileSequences: Record<string, number>;
}

/** What DIAN said about one document; every value ends up as a string in ResponseDian. */
export interface DianVerdict {
  isValid: boolean;
  statusCode: string;
  statusDescription: string;
  statusMessage: string;
  /** Rejections ("Regla: 90, Rechazo: …") and notifications ("Regla: FAK55, Notificación: …"). */
  errorMessages: string[];
}

export interface DocumentTotals {
  lineExtensionAmount: string;
  taxExclusiveAmount: string;
  taxInclusiveAmount: string;
  allowanceTotalAmount: string;
  chargeTotalAmount: string;
  payableAmount: string;
  ivaAmount: string;
  incAmount: string;
  icaAmount: string;
}

/** A document APIDIAN signed: what a batch holds before it is sent. */
export interface SignedDocument {
  kind: ApidianDocumentKind;
  typeDocumentId: number;
  prefix: string;
  number: number;
  /** prefix + number */
  fiscalNumber: string;
  algorithm: 'CUFE' | 'CUDE';
  /** The CUFE or CUDE. */
  key: string;
  /** DIAN's name: fv/nc/nd + NIT(10) + 000 + yy + sequence(8). */
  xmlFileName: string;
  /** APIDIAN's signed file: FES-/NCS-/NDS- + fiscal number + .xml; the zip entry name. */
  signedFileName: string;
  issueDate: string;
  issueTime: string;
  customerId: string;
  totals: DocumentTotals;
  wire: unknown;
  signedAt: string;
}

export interface JudgedDocument extends SignedDocument {
  companyNit: string;
  verdict: DianVerdict;
  via: 'sync' | 'batch';
  batch: string | null;
  zipKey: string | null;
  judgedAt: string;
}

export interface SandboxBatch {
  companyNit: string;
  name: string;
  /** In the order they were added; re-adding a file replaces its entry in place. */
  entries: SignedDocument[];
}

export interface SandboxZip {
  zipKey: string;
  companyNit: string;
  batch: string;
  sentAt: string;
  /** Before this instant status/zip answers "in process". */
  readyAt: string;
  /** Status polls still to be answered "in process" (deterministic alternative to readyAt). */
  pendingPolls: number;
  /** Indexes into `documents`, in zip order. */
  documentIndexes: number[];
}

export interface SandboxData {
  companies: Record<string, SandboxCompany>;
  documents: JudgedDocument[];
  /** Keyed by `${nit}/${batch}`. */
  batches: Record<string, SandboxBatch>;
  zips: Record<string, SandboxZip>;
}

export function seededData(): SandboxData {
  const seed = APIDIAN_SANDBOX_SEED;
  const company: SandboxCompany = {
    nit: seed.company.nit,
    dv: seed.company.dv,
    businessName: seed.company.businessName,
    email: seed.company.email,
    token: seed.company.token,
    software: { ...seed.software },
    environment: seed.environment,
    resolutions: Object.values(seed.resolutions).map((resolution) => ({ ...resolution })),
    fileSequences: {},
  };
  return { companies: { [company.nit]: company }, documents: [], batches: {}, zips: {} };
}

function emptyData(): SandboxData {
  return { companies: {}, documents: [], batches: {}, zips: {} };
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

  companyByToken(token: string): SandboxCompany | undefined {
    return Object.values(this.#data.companies).find((company) => company.token === token);
  }

  /** Accepted documents (IsValid "true"), or every judged document with `all`. */
  documents(options: { all?: boolean } = {}): JudgedDocument[] {
    return options.all ? [...this.#data.documents] : this.#data.documents.filter((doc) => doc.verdict.isValid);
  }

  reset(): void {
    this.#data = this.#initial();
    this.save();
  }

  /** Persists the whole state; called after every change. */
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
    const text = readFileSync(this.#dataFile, 'utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new Error(`APIDIAN sandbox data file ${this.#dataFile} is not valid JSON (${(error as Error).message}); fix or delete it`);
    }
    const data = parsed as Partial<SandboxData> | null;
    if (!data || typeof data !== 'object' || typeof data.companies !== 'object' || !Array.isArray(data.documents)) {
      throw new Error(`APIDIAN sandbox data file ${this.#dataFile} does not hold sandbox state; fix or delete it`);
    }
    return { companies: data.companies ?? {}, documents: data.documents, batches: data.batches ?? {}, zips: data.zips ?? {} };
  }
}
