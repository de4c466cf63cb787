/**
 * The APIDIAN sandbox as an express app: the invoicing surface of `/api/ubl2.1/...` (reference
 * §1.2–1.11) plus `/_sandbox/*` endpoints for tests (documents seen, fault injection, reset).
 */
import { addFaultRoutes, CHAOS_FAULTS_EXPECTED, takeDropAfterAccept } from '../../../src/target-kit/sandbox-routes.js';
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { TYPE_DOCUMENTS } from '../ids.js';
import { APIDIAN_ROUTE_SEGMENT, type ApidianDocumentKind } from '../wire.js';
import { applicationResponseXml, attachedDocumentName, attachedDocumentXml, base64, qrUrl, signedFileName, ublXml } from './artifacts.js';
import { configurationRoutes } from './configuration.js';
import { IN_PROCESS_VERDICT, NOT_FOUND_VERDICT, dianResultJson, judge, soapEnvelope } from './dian.js';
import {
  FaultsInput,
  RateLimiter,
  authenticate,
  injectFaults,
  noFaults,
  sendServerError,
  sendValidationError,
  throttle,
  type AuthenticatedLocals,
  type ErrorStyle,
  type SandboxFaults,
} from './http.js';
import { signDocument } from './signing.js';
import { SandboxStore, type JudgedDocument, type SandboxCompany, type SandboxZip, type SignedDocument } from './state.js';
import { zipStore } from './zip.js';

export interface ApidianSandboxOptions {
  /** JSON file the state is written to after every change and read from at start. */
  dataFile?: string;
  /** Start with the demo company (default true). */
  seed?: boolean;
  /** `throttle:60,1` by default. */
  requestsPerMinute?: number;
  errorStyle?: ErrorStyle;
  /** status/zip answers "in process" until this long after send-batch (default 0). */
  statusDelayMs?: number;
  /** status/zip answers "in process" to the first N polls of each zip (default 0). */
  statusPendingPolls?: number;
  /** `check.api.register`: when false, POST config/{nit} answers 403 (default true). */
  registrationEnabled?: boolean;
  /** Largest JSON body accepted (default 5mb). */
  bodyLimit?: string;
  /** Clock, for deterministic tests. */
  now?: () => Date;
  /** Random source for `errorRate`, for deterministic tests. */
  random?: () => number;
}

export interface ApidianSandbox {
  app: express.Express;
  state: SandboxStore;
  faults: SandboxFaults;
  /** Back to the initial state (seed), no faults, fresh rate-limit windows. */
  reset(): void;
}

const CERTIFICATE_DAYS_LEFT = 365;

function keyField(kind: ApidianDocumentKind): 'cufe' | 'cude' {
  return kind === 'invoice' || kind === 'export_invoice' ? 'cufe' : 'cude';
}

function daysUntil(date: string | null, now: Date): number | null {
  if (!date) return null;
  return Math.max(0, Math.floor((Date.parse(`${date}T23:59:59-05:00`) - now.getTime()) / 86_400_000));
}

function soapRequestXml(action: string, fileName: string, content: string): string {
  return `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wcf="http://wcf.dian.colombia"><soap:Body><wcf:${action}><wcf:fileName>${fileName}</wcf:fileName><wcf:contentFile>${content}</wcf:contentFile></wcf:${action}></soap:Body></soap:Envelope>`;
}

const KIND_BY_SEGMENT = new Map<string, ApidianDocumentKind>(
  (Object.entries(APIDIAN_ROUTE_SEGMENT) as [ApidianDocumentKind, string][]).map(([kind, segment]) => [segment, kind]),
);

export function createApidianSandbox(options: ApidianSandboxOptions = {}): ApidianSandbox {
  const style: ErrorStyle = options.errorStyle ?? 'laravel';
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const state = new SandboxStore({ ...(options.dataFile ? { dataFile: options.dataFile } : {}), seed: options.seed ?? true });
  const faults = noFaults();
  const limiter = new RateLimiter(options.requestsPerMinute ?? 60, () => now().getTime());

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  // ─── test endpoints (no auth, no throttle) ─────────────────────────────────────────────────
  const testing = express.Router();
  testing.use(express.json({ limit: '100kb' }));
  testing.get('/documents', (req, res) => {
    const all = req.query.all === '1' || req.query.all === 'true';
    res.json({ documents: state.documents({ all }).map(documentView) });
  });
  addFaultRoutes(testing, { faults, schema: FaultsInput, none: noFaults, expected: `{errorRate?: 0..1, latencyMs?, force429?, retryAfterSeconds?, dropAfterAccept?, ${CHAOS_FAULTS_EXPECTED}}`, reset });
  app.use('/_sandbox', testing);

  // ─── the API ───────────────────────────────────────────────────────────────────────────────
  const api = express.Router();
  api.use(express.json({ limit: options.bodyLimit ?? '5mb' }));
  api.use(injectFaults(faults, style, () => limiter.limit, random));
  api.use(throttle(limiter, state, style));

  api.use('/ubl2.1/config', configurationRoutes({ state, style, registrationEnabled: options.registrationEnabled ?? true }));

  const auth = authenticate(state, style);
  const ubl = express.Router();
  ubl.use(auth);

  /** Destroys the connection instead of answering when a dropAfterAccept fault is armed. */
  function dropIfArmed(res: Response): boolean {
    if (!takeDropAfterAccept(faults, random)) return false;
    res.socket?.destroy();
    return true;
  }

  function companyOf(res: Response): SandboxCompany {
    return (res.locals as AuthenticatedLocals).company;
  }

  function xmlArtefacts(company: SandboxCompany, document: SignedDocument) {
    const xml = ublXml(document, company.nit, company.environment);
    return { xml, base64Xml: base64(xml) };
  }

  // Sync send: POST invoice | credit-note | debit-note | invoice-export
  for (const [segment, kind] of KIND_BY_SEGMENT) {
    ubl.post(`/${segment}`, (req, res) => {
      const company = companyOf(res);
      const signing = signDocument({ store: state, company, kind, body: req.body, via: 'sync', now: now() });
      if (signing.outcome === 'invalid') return sendValidationError(res, style, signing.errors);
      if (signing.outcome === 'exception') return sendServerError(res, style, signing.message);
      if (signing.outcome === 'refused') {
        res.json({ success: false, message: signing.message });
        return;
      }
      const { document, resolution } = signing;
      const field = keyField(kind);
      const wire = req.body as Record<string, unknown>;
      if (kind === 'invoice' && (wire.query_uuid === true || wire.query_uuid === 1 || wire.query_uuid === '1')) {
        // query_uuid: compute and return the UUID, send nothing. Assumption: the answer carries the
        // usual message, key and QR fields (the reference documents the behaviour, not the body).
        state.save();
        res.json({ success: true, message: `UUID de ${document.fiscalNumber} generado con éxito`, [field]: document.key, QRStr: qrUrl(document.key, company.environment) });
        return;
      }
      const verdict = judge({ company, document, history: state.data.documents });
      const judged: JudgedDocument = { ...document, companyNit: company.nit, verdict, via: 'sync', batch: null, zipKey: null, judgedAt: now().toISOString() };
      state.data.documents.push(judged);
      state.save();
      if (dropIfArmed(res)) return;

      const { xml, base64Xml } = xmlArtefacts(company, document);
      const applicationResponse = base64(applicationResponseXml(document, verdict));
      const zip = zipStore([{ name: `${document.xmlFileName}.xml`, data: Buffer.from(xml, 'utf8') }]);
      const result = dianResultJson(verdict, document, applicationResponse);
      res.json({
        success: true,
        message: `AttachedDocument #${document.fiscalNumber} generada con éxito`,
        send_email_success: false,
        send_email_date_time: false,
        urlinvoicexml: signedFileName(kind, document.fiscalNumber, 'xml'),
        urlinvoicepdf: signedFileName(kind, document.fiscalNumber, 'pdf'),
        urlinvoiceattached: attachedDocumentName(document.xmlFileName),
        [field]: document.key,
        QRStr: qrUrl(document.key, company.environment),
        certificate_days_left: CERTIFICATE_DAYS_LEFT,
        resolution_days_left: daysUntil(resolution.date_to, now()),
        ResponseDian: soapEnvelope('SendBillSyncResponse', { SendBillSyncResponse: { SendBillSyncResult: result } }),
        whatsapp_response: null,
        invoicexml: base64Xml,
        zipinvoicexml: base64(zip),
        unsignedinvoicexml: base64Xml,
        reqfe: base64(soapRequestXml('SendBillSync', `${document.xmlFileName}.zip`, base64(zip))),
        rptafe: base64(JSON.stringify(result)),
        attacheddocument: base64(attachedDocumentXml(document, verdict, company.nit, company.environment)),
      });
    });
  }

  // GET invoice/current_number/{type}/{prefix?}/{ignore_state_document_id?}
  ubl.get('/invoice/current_number/:type{/:prefix}{/:ignore}', (req, res) => {
    const company = companyOf(res);
    const type = Number(req.params.type);
    const prefix = req.params.prefix;
    const resolution = company.resolutions.find((r) => r.type_document_id === type && (prefix === undefined || r.prefix === prefix));
    if (!resolution) {
      // Assumption: the reference shows only the success body; a missing resolution is refused.
      res.json({ success: false, message: 'La resolución no está configurada.' });
      return;
    }
    const numbers = state
      .documents()
      .filter((doc) => doc.companyNit === company.nit && doc.typeDocumentId === type && doc.prefix === resolution.prefix)
      .map((doc) => doc.number);
    const number = numbers.length ? Math.max(...numbers) + 1 : resolution.from;
    res.json({ number, success: true, prefix: resolution.prefix });
  });

  // POST add-to-batch/{invoice|credit-note|debit-note|invoice-export}/{batch}
  ubl.post('/add-to-batch/:segment/:batch', (req, res) => {
    const company = companyOf(res);
    const kind = KIND_BY_SEGMENT.get(req.params.segment as string);
    if (!kind) {
      res.status(404).json({ message: `La ruta add-to-batch/${req.params.segment} no existe.` });
      return;
    }
    const batchName = req.params.batch as string;
    const signing = signDocument({ store: state, company, kind, body: req.body, via: 'batch', now: now() });
    if (signing.outcome === 'invalid') return sendValidationError(res, style, signing.errors);
    if (signing.outcome === 'exception') return sendServerError(res, style, signing.message);
    if (signing.outcome === 'refused') {
      res.json({ success: false, message: signing.message });
      return;
    }
    const { document } = signing;
    const batchKey = `${company.nit}/${batchName}`;
    const batch = (state.data.batches[batchKey] ??= { companyNit: company.nit, name: batchName, entries: [] });
    // Like a zip entry of the same name, a document added again replaces the earlier one.
    const existing = batch.entries.findIndex((entry) => entry.signedFileName === document.signedFileName);
    if (existing >= 0) batch.entries[existing] = document;
    else batch.entries.push(document);
    state.save();
    if (dropIfArmed(res)) return;

    const { base64Xml } = xmlArtefacts(company, document);
    const typeName = TYPE_DOCUMENTS[document.typeDocumentId as keyof typeof TYPE_DOCUMENTS]?.name ?? 'Documento';
    res.json({
      message: `${typeName} #${document.fiscalNumber} generada y agregada con éxito al batch ${batchName}.zip`,
      invoicexml: base64Xml,
      zipinvoicexml: base64(batchZip(company, batch.entries)),
      unsignedinvoicexml: base64Xml,
      urlinvoicexml: signedFileName(kind, document.fiscalNumber, 'xml'),
      urlinvoicepdf: signedFileName(kind, document.fiscalNumber, 'pdf'),
      [keyField(kind)]: document.key,
      QRStr: qrUrl(document.key, company.environment),
    });
  });

  function batchZip(company: SandboxCompany, entries: readonly SignedDocument[]): Buffer {
    return zipStore(entries.map((entry) => ({ name: entry.signedFileName, data: Buffer.from(ublXml(entry, company.nit, company.environment), 'utf8') })));
  }

  // POST send-batch/{batch}: SendBillAsync of the accumulated zip; DIAN judges every document now.
  ubl.post('/send-batch/:batch', (req, res) => {
    const company = companyOf(res);
    const batchName = req.params.batch as string;
    const batch = state.data.batches[`${company.nit}/${batchName}`];
    if (!batch || batch.entries.length === 0) {
      // Assumption: APIDIAN keeps no batch state; a zip that was never written fails to open.
      res.json({ success: false, message: `El batch ${batchName}.zip no existe o no tiene documentos.` });
      return;
    }
    const zipKey = randomUUID();
    const sentAt = now();
    const documentIndexes: number[] = [];
    for (const entry of batch.entries) {
      const verdict = judge({ company, document: entry, history: state.data.documents });
      state.data.documents.push({ ...entry, companyNit: company.nit, verdict, via: 'batch', batch: batchName, zipKey, judgedAt: sentAt.toISOString() });
      documentIndexes.push(state.data.documents.length - 1);
    }
    state.data.zips[zipKey] = {
      zipKey,
      companyNit: company.nit,
      batch: batchName,
      sentAt: sentAt.toISOString(),
      readyAt: new Date(sentAt.getTime() + (options.statusDelayMs ?? 0)).toISOString(),
      pendingPolls: options.statusPendingPolls ?? 0,
      documentIndexes,
    };
    state.save();
    if (dropIfArmed(res)) return;

    const zip = base64(batchZip(company, batch.entries));
    const result = { ErrorMessageList: {}, ZipKey: zipKey };
    res.json({
      message: `Batch ${batchName}.zip enviado con éxito`,
      ResponseDian: soapEnvelope('SendBillAsyncResponse', { SendBillAsyncResponse: { SendBillAsyncResult: result } }),
      zipinvoicexml: zip,
      reqfe: base64(soapRequestXml('SendBillAsync', `${batchName}.zip`, zip)),
      rptafe: base64(JSON.stringify(result)),
    });
  });

  function zipInProcess(zip: SandboxZip, countPoll: boolean): boolean {
    if (zip.pendingPolls > 0) {
      if (countPoll) {
        zip.pendingPolls -= 1;
        state.save();
      }
      return true;
    }
    return now().getTime() < Date.parse(zip.readyAt);
  }

  function resultOf(doc: JudgedDocument): Record<string, unknown> {
    return dianResultJson(doc.verdict, doc, base64(applicationResponseXml(doc, doc.verdict)));
  }

  // POST status/zip/{trackId}/{GuardarEn?}
  ubl.post('/status/zip/:trackId{/:guardarEn}', (req, res) => {
    const company = companyOf(res);
    const zip = state.data.zips[req.params.trackId as string];
    let dianResponse: Record<string, unknown> | Record<string, unknown>[];
    let documents: JudgedDocument[] = [];
    if (!zip || zip.companyNit !== company.nit) {
      dianResponse = dianResultJson(NOT_FOUND_VERDICT, null, null);
    } else if (zipInProcess(zip, true)) {
      dianResponse = dianResultJson(IN_PROCESS_VERDICT, null, null);
    } else {
      documents = zip.documentIndexes.map((index) => state.data.documents[index]).filter((doc): doc is JudgedDocument => doc !== undefined);
      const results = documents.map(resultOf);
      // DIAN answers one DianResponse per document of the zip. After APIDIAN's XML→JSON conversion
      // one element stays an object and repeated elements become an array — what a converter does,
      // not documented for this endpoint [NF].
      dianResponse = results.length === 1 ? (results[0] as Record<string, unknown>) : results;
    }
    const first = documents[0];
    res.json({
      message: 'Consulta generada con éxito',
      ResponseDian: soapEnvelope('GetStatusZipResponse', { GetStatusZipResponse: { GetStatusZipResult: { DianResponse: dianResponse } } }),
      reqzip: base64(soapRequestXml('GetStatusZip', String(req.params.trackId), '')),
      rptazip: base64(JSON.stringify(dianResponse)),
      attacheddocument: first && first.verdict.isValid ? base64(attachedDocumentXml(first, first.verdict, company.nit, company.environment)) : null,
      cufecude: first ? first.key : null,
      certificate_days_left: CERTIFICATE_DAYS_LEFT,
    });
  });

  // POST status/document/{cufe|cude}/{GuardarEn?}
  ubl.post('/status/document/:trackId{/:guardarEn}', (req, res) => {
    const company = companyOf(res);
    const key = String(req.params.trackId).trim().toLowerCase();
    const matches = state.data.documents.filter((doc) => doc.companyNit === company.nit && doc.key === key);
    // DIAN remembers the validated document; a later rejected resend (rule 90) does not replace it.
    const doc = matches.find((match) => match.verdict.isValid) ?? matches[matches.length - 1];
    let result: Record<string, unknown>;
    if (!doc) {
      result = dianResultJson(NOT_FOUND_VERDICT, null, null);
    } else {
      const zip = doc.zipKey ? state.data.zips[doc.zipKey] : undefined;
      result = zip && zipInProcess(zip, false) ? dianResultJson(IN_PROCESS_VERDICT, doc, null) : resultOf(doc);
    }
    res.json({
      message: 'Consulta generada con éxito',
      ResponseDian: soapEnvelope('GetStatusResponse', { GetStatusResponse: { GetStatusResult: result } }),
      cufecude: doc ? doc.key : null,
      certificate_days_left: CERTIFICATE_DAYS_LEFT,
    });
  });

  api.use('/ubl2.1', ubl);
  api.use((_req, res) => {
    res.status(404).json({ message: 'Not Found' });
  });
  app.use('/api', api);

  app.use((_req, res) => {
    res.status(404).json({ message: 'Not Found' });
  });

  // Body parser failures and anything unexpected.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const type = (error as { type?: string } | null)?.type;
    if (type === 'entity.parse.failed') {
      res.status(400).json({ message: 'Malformed JSON body: the request body could not be parsed as JSON.' });
      return;
    }
    if (type === 'entity.too.large') {
      res.status(413).json({ message: `Payload Too Large: the body exceeds ${options.bodyLimit ?? '5mb'}.` });
      return;
    }
    sendServerError(res, style, error instanceof Error ? error.message : 'Unexpected error');
  });

  function reset(): void {
    state.reset();
    Object.assign(faults, noFaults());
    limiter.clear();
  }

  return { app, state, faults, reset };
}

/** What GET /_sandbox/documents shows for one judged document. */
function documentView(doc: JudgedDocument) {
  return {
    kind: doc.kind,
    typeDocumentId: doc.typeDocumentId,
    prefix: doc.prefix,
    number: doc.number,
    fiscalNumber: doc.fiscalNumber,
    [keyField(doc.kind)]: doc.key,
    key: doc.key,
    algorithm: doc.algorithm,
    companyNit: doc.companyNit,
    customerId: doc.customerId,
    issueDate: doc.issueDate,
    issueTime: doc.issueTime,
    totals: doc.totals,
    via: doc.via,
    batch: doc.batch,
    zipKey: doc.zipKey,
    xmlFileName: doc.xmlFileName,
    isValid: doc.verdict.isValid,
    statusCode: doc.verdict.statusCode,
    errorMessages: doc.verdict.errorMessages,
    judgedAt: doc.judgedAt,
    wire: doc.wire,
  };
}
