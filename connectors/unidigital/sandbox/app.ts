/**
 * The Unidigital sandbox as an express app: the `/digitalinvoice-core` surface Puente uses (reference
 * §2.2–2.7) with the imprenta's envelope, errors and quirks, plus `/_sandbox/*` endpoints for tests.
 *
 * Quirks reproduced: login answers a direct object (not the envelope) whose `series` list is empty
 * even though the account has a series; `hasErrors: true` under errors; 429 "tu petición anterior
 * sigue en proceso" while another request of the same account and series runs; control numbers
 * assigned a configurable delay after approval (default 60 s), `controlNumberFormatted: "-1"` until
 * then; one open batch per series (BATCH_EXISTS with the existing batch in `extra`); `GET
 * /documents/short/{id}` answers 405 to POST; annulment by control number keeps the number.
 */
import {
  addFaultRoutes,
  applyLatency,
  takeError,
  CHAOS_FAULTS_EXPECTED,
  chaosFaultsShape,
  noChaosFaults,
  takeDropAfterAccept,
  takeRateLimit,
  type ChaosFaults,
} from '../../../src/target-kit/sandbox-routes.js';
import { randomBytes, randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { Dec } from '../../../src/domain/money.js';
import { judgeDocument, type DocumentError, type JudgeContext } from './judge.js';
import type { SandboxAccount } from './seed.js';
import { SandboxStore, type SandboxBatch, type SandboxDocument } from './state.js';

export const UNIDIGITAL_BASE_PATH = '/digitalinvoice-core';

export interface UnidigitalSandboxOptions {
  dataFile?: string;
  /** Delay between batch approval and the control number (default 60 000 ms, like the imprenta's ~1 min). */
  controlNumberDelayMs?: number;
  /** JWT lifetime (default 8 h). */
  tokenLifetimeMs?: number;
  bodyLimit?: string;
  now?: () => Date;
  random?: () => number;
}

export interface UnidigitalSandboxFaults extends ChaosFaults {
  errorRate: number;
  latencyMs: number;
  force429: number;
  dropAfterAccept: number;
}

export interface UnidigitalSandbox {
  app: express.Express;
  state: SandboxStore;
  faults: UnidigitalSandboxFaults;
  settings: { controlNumberDelayMs: number };
  /** Gives every approved document whose delay has passed its control number (done on every request). */
  assignDueControlNumbers(): number;
  reset(): void;
}

const FaultsInput = z.strictObject({
  errorRate: z.number().min(0).max(1, { error: 'errorRate must be between 0 and 1' }).optional(),
  latencyMs: z.number().int().min(0).max(120_000, { error: 'latencyMs must be 0..120000' }).optional(),
  force429: z.number().int().min(0).optional(),
  dropAfterAccept: z.number().int().min(0).optional(),
  ...chaosFaultsShape,
});

const SettingsInput = z.strictObject({ controlNumberDelayMs: z.number().int().min(0).max(3_600_000) });

function noFaults(): UnidigitalSandboxFaults {
  return { errorRate: 0, latencyMs: 0, force429: 0, dropAfterAccept: 0, ...noChaosFaults() };
}

/** The imprenta's envelope. */
function envelope(result: unknown, errors: Array<{ code: string; message: string; extra?: unknown }> = [], information: string[] = []) {
  return { result, errors, warnings: [], information, success: errors.length ? [] : ['Operación exitosa'], hasErrors: errors.length > 0 };
}

function fail(res: Response, status: number, code: string, message: string, extra?: unknown, result: unknown = null): void {
  res.status(status).json(envelope(result, [{ code, message, ...(extra !== undefined ? { extra } : {}) }]));
}

export function formatControlNumber(controlNumber: number): string {
  return controlNumber > 0 ? `00-${String(controlNumber).padStart(8, '0')}` : '-1';
}

export function createUnidigitalSandbox(options: UnidigitalSandboxOptions = {}): UnidigitalSandbox {
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const state = new SandboxStore(options.dataFile ? { dataFile: options.dataFile } : {});
  const faults = noFaults();
  const settings = { controlNumberDelayMs: options.controlNumberDelayMs ?? 60_000 };
  const tokenLifetimeMs = options.tokenLifetimeMs ?? 8 * 3_600_000;
  const inFlight = new Set<string>();

  function assignDueControlNumbers(): number {
    const due = now().getTime() - settings.controlNumberDelayMs;
    const ready = state.data.documents.filter((d) => d.status === 'Approved' && d.approvedAt !== null && Date.parse(d.approvedAt) <= due);
    for (const doc of ready) {
      const account = state.data.accounts[doc.userName];
      if (!account) continue;
      account.lastControlNumber += 1;
      doc.controlNumber = account.lastControlNumber;
      doc.status = 'Assigned';
      doc.assignedAt = now().toISOString();
    }
    if (ready.length) state.save();
    return ready.length;
  }

  function documentView(doc: SandboxDocument) {
    const account = state.data.accounts[doc.userName];
    const serie = account?.series.find((s) => s.strongId === doc.serieStrongId);
    return {
      strongId: doc.strongId,
      codeName: doc.documentType,
      serie: serie?.name ?? doc.serieStrongId,
      serieStrongId: doc.serieStrongId,
      number: doc.number,
      controlNumber: doc.controlNumber,
      controlNumberFormatted: formatControlNumber(doc.controlNumber),
      status: doc.status,
      name: doc.name,
      currency: doc.currency,
      grandTotal: Number(doc.grandTotal),
      annulled: doc.annulled,
      systemReference: doc.systemReference,
      batchStrongId: doc.batchStrongId,
      affectedDocumentNumber: doc.affectedDocumentNumber,
      information: doc.controlNumber > 0 ? [] : ['El documento aún no ha sido convertido a documento fiscal'],
    };
  }

  const app = express();
  app.disable('x-powered-by');

  // ─── test endpoints ──────────────────────────────────────────────────────────────────────────
  const testing = express.Router();
  testing.use(express.json({ limit: '100kb' }));
  testing.get('/documents', (_req, res) => {
    assignDueControlNumbers();
    res.json({ documents: state.data.documents.map((doc) => ({ ...documentView(doc), total: doc.total, grandTotalVES: doc.grandTotalVES, createdAt: doc.createdAt, approvedAt: doc.approvedAt, wire: doc.wire })) });
  });
  testing.get('/batches', (_req, res) => {
    res.json({ batches: Object.values(state.data.batches) });
  });
  addFaultRoutes(testing, { faults, schema: FaultsInput, none: noFaults, expected: `{errorRate?: 0..1, latencyMs?, force429?, dropAfterAccept?, ${CHAOS_FAULTS_EXPECTED}}`, reset });
  testing.post('/settings', (req, res) => {
    const parsed = SettingsInput.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400).json({ message: 'Invalid settings: expected {controlNumberDelayMs: 0..3600000}' });
      return;
    }
    Object.assign(settings, parsed.data);
    res.json({ settings });
  });
  /** Assigns every pending control number now, whatever the delay (a test's "a minute later"). */
  testing.post('/assign-control-numbers', (_req, res) => {
    for (const doc of state.data.documents) if (doc.status === 'Approved') doc.approvedAt = new Date(0).toISOString();
    res.json({ assigned: assignDueControlNumbers() });
  });
  app.use('/_sandbox', testing);

  // ─── the API ─────────────────────────────────────────────────────────────────────────────────
  const api = express.Router();
  api.use(express.json({ limit: options.bodyLimit ?? '5mb' }));
  api.use((_req, _res, next) => {
    assignDueControlNumbers();
    next();
  });

  api.post('/user/login', (req, res) => {
    const body = (req.body ?? {}) as { UserName?: unknown; Password?: unknown };
    const account = typeof body.UserName === 'string' ? state.data.accounts[body.UserName] : undefined;
    const password = typeof body.Password === 'string' ? body.Password.toLowerCase() : undefined;
    if (!account || password !== account.passwordDigest) {
      // The plain password is refused too: the imprenta compares SHA-512 digests.
      fail(res, 400, 'InvalidCredentials', 'Usuario o contraseña inválidos');
      return;
    }
    const accessToken = `${randomBytes(24).toString('base64url')}.${randomBytes(24).toString('base64url')}`;
    state.data.tokens[accessToken] = { userName: account.userName, expiresAt: now().getTime() + tokenLifetimeMs };
    state.save();
    // Not the envelope; and `series` left empty although the account has one (§2.2: use GET /series).
    res.json({
      userName: account.userName,
      accessToken,
      refreshToken: randomUUID(),
      series: [],
      templates: [{ name: 'Estándar', description: 'Plantilla estándar', created: '2026-01-01T00:00:00' }],
      information: ['La compañía no tiene series configuradas'],
      errors: [],
      environment: 'Sandbox',
    });
  });

  const accountOf = (res: Response): SandboxAccount => (res.locals as { account: SandboxAccount }).account;

  api.use((req, res, next) => {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const session = token ? state.data.tokens[token] : undefined;
    const account = session && session.expiresAt > now().getTime() ? state.data.accounts[session.userName] : undefined;
    if (!account) {
      fail(res, 401, 'Unauthorized', 'El token no es válido o ha expirado');
      return;
    }
    (res.locals as { account: SandboxAccount }).account = account;
    next();
  });

  /** Requests of one account and series are processed one at a time; a second one meanwhile is refused. */
  api.use(async (req: Request, res: Response, next: NextFunction) => {
    const account = accountOf(res);
    const key = `${account.userName}|${seriesOfRequest(req) ?? '*'}`;
    if (takeRateLimit(faults, random)) {
      fail(res, 429, 'RequestInProgress', 'Tu petición anterior sigue en proceso');
      return;
    }
    if (inFlight.has(key)) {
      fail(res, 429, 'RequestInProgress', 'Tu petición anterior sigue en proceso');
      return;
    }
    inFlight.add(key);
    let released = false;
    const release = () => {
      if (!released) inFlight.delete(key);
      released = true;
    };
    res.on('finish', release);
    res.on('close', release);
    await applyLatency(faults, random);
    if (takeError(faults, random)) {
      fail(res, 500, 'InternalError', 'Error interno del servidor (falla simulada del sandbox)');
      return;
    }
    next();
  });

  function seriesOfRequest(req: Request): string | undefined {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body.SerieStrongId === 'string') return body.SerieStrongId.toLowerCase();
    const batchId = typeof body.BatchStrongId === 'string' ? body.BatchStrongId : typeof body.Id === 'string' ? body.Id : /^\/batch\/([^/?]+)/.exec(req.path)?.[1];
    return batchId ? state.data.batches[batchId]?.serieStrongId.toLowerCase() : undefined;
  }

  /** Destroys the connection after the change was made, when a dropAfterAccept fault is armed. */
  function dropIfArmed(res: Response): boolean {
    if (!takeDropAfterAccept(faults, random)) return false;
    res.socket?.destroy();
    return true;
  }

  function seriesOf(account: SandboxAccount, strongId: unknown) {
    return typeof strongId === 'string' ? account.series.find((s) => s.strongId.toLowerCase() === strongId.toLowerCase()) : undefined;
  }

  function batchOf(res: Response, id: unknown): SandboxBatch | undefined {
    const batch = typeof id === 'string' ? state.data.batches[id] : undefined;
    return batch && batch.userName === accountOf(res).userName ? batch : undefined;
  }

  api.get('/series', (_req, res) => {
    const account = accountOf(res);
    res.json(
      envelope(
        account.series.map((s) => ({
          strongId: s.strongId,
          name: s.name,
          lastControlNumberUsed: account.lastControlNumber,
          useSystemReferenceAsKey: s.useSystemReferenceAsKey,
          calculatedByCompany: s.calculatedByCompany,
        })),
      ),
    );
  });
  api.post('/series/list', (_req, res) => {
    res.json(envelope(accountOf(res).series.map((s) => ({ strongId: s.strongId, name: s.name }))));
  });
  api.get('/series/counters', (_req, res) => {
    const account = accountOf(res);
    const counters = account.series.flatMap((s) =>
      ['FA', 'NC', 'ND'].map((type) => ({ strongId: s.strongId, serie: s.name, documentType: type, counter: state.counter(account.userName, s.strongId, type) })),
    );
    res.json(envelope(counters));
  });
  api.post('/documenttypes/list', (_req, res) => {
    res.json(envelope([
      { codeName: 'FA', name: 'Factura' },
      { codeName: 'NC', name: 'Nota de Crédito' },
      { codeName: 'ND', name: 'Nota de Débito' },
    ]));
  });
  api.get('/commercialOffice', (_req, res) => {
    const offices = accountOf(res).sucursales;
    res.json({ ...envelope(offices), totalCount: offices.length });
  });

  // ─── batches ───────────────────────────────────────────────────────────────────────────────
  api.post('/batch/open', (req, res) => {
    const account = accountOf(res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const serie = seriesOf(account, body.SerieStrongId);
    if (!serie) {
      fail(res, 400, 'SerieNotValid', `La serie no es válida ${String(body.SerieStrongId ?? '')}`);
      return;
    }
    const open = Object.values(state.data.batches).find((b) => b.userName === account.userName && b.serieStrongId === serie.strongId && b.currentStatus === 1);
    if (open) {
      fail(res, 400, 'BATCH_EXISTS', `Ya existe un lote abierto para la serie ${serie.name}`, { strongId: open.strongId, date: open.date, serieStrongId: open.serieStrongId });
      return;
    }
    const batch: SandboxBatch = { strongId: randomUUID(), userName: account.userName, serieStrongId: serie.strongId, currentStatus: 1, date: now().toISOString() };
    state.data.batches[batch.strongId] = batch;
    state.save();
    if (dropIfArmed(res)) return;
    res.json(envelope({ StrongId: batch.strongId }));
  });

  function moveBatch(from: Array<1 | 2>, to: 2 | 3 | 5, verb: string) {
    return (req: Request, res: Response) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const batch = batchOf(res, body.Id);
      if (!batch) {
        fail(res, 404, 'BatchNotFound', `El lote ${String(body.Id ?? '')} no existe`);
        return;
      }
      if (!(from as number[]).includes(batch.currentStatus)) {
        fail(res, 400, 'BatchStatusNotValid', `El lote no se puede ${verb}: su estado es ${batch.currentStatus}`);
        return;
      }
      batch.currentStatus = to;
      const documents = state.data.documents.filter((d) => d.batchStrongId === batch.strongId);
      if (to === 3) {
        for (const doc of documents) {
          doc.status = 'Approved';
          doc.approvedAt = now().toISOString();
        }
      }
      if (to === 5) for (const doc of documents) doc.status = 'Cancelled';
      state.save();
      if (dropIfArmed(res)) return;
      res.json(envelope(batch.strongId, [], [`Lote ${verb === 'cerrar' ? 'cerrado' : verb === 'aprobar' ? 'aprobado' : 'cancelado'} satisfactoriamente`]));
    };
  }
  api.post('/batch/close', moveBatch([1], 2, 'cerrar'));
  api.post('/batch/approve', moveBatch([2], 3, 'aprobar'));
  api.post('/batch/cancel', moveBatch([1, 2], 5, 'cancelar'));

  api.get('/batch/:id', (req, res) => {
    const batch = batchOf(res, req.params.id);
    if (!batch) {
      fail(res, 404, 'BatchNotFound', `El lote ${req.params.id} no existe`);
      return;
    }
    const count = state.data.documents.filter((d) => d.batchStrongId === batch.strongId).length;
    res.json(envelope({ strongId: batch.strongId, serieStrongId: batch.serieStrongId, currentStatus: batch.currentStatus, date: batch.date, documentCount: count }));
  });

  api.get('/batch/:id/documents', (req, res) => {
    const batch = batchOf(res, req.params.id);
    if (!batch) {
      fail(res, 404, 'BatchNotFound', `El lote ${req.params.id} no existe`);
      return;
    }
    const page = Math.max(1, Number(req.query.Number ?? 1) || 1);
    const size = Math.min(500, Math.max(1, Number(req.query.Size ?? 50) || 50));
    const all = state.data.documents.filter((d) => d.batchStrongId === batch.strongId);
    res.json({ ...envelope(all.slice((page - 1) * size, page * size).map(documentView)), totalCount: all.length });
  });

  // ─── documents ─────────────────────────────────────────────────────────────────────────────
  function created(account: SandboxAccount, doc: ReturnType<typeof judgeDocument> & { ok: true }, body: unknown, batchStrongId: string | null, status: SandboxDocument['status']): SandboxDocument {
    const d = doc.document;
    const record: SandboxDocument = {
      strongId: randomUUID(),
      userName: account.userName,
      serieStrongId: account.series.find((s) => s.strongId.toLowerCase() === d.SerieStrongId?.toLowerCase())!.strongId,
      documentType: d.DocumentType,
      number: d.Number,
      systemReference: d.SystemReference?.trim() || null,
      batchStrongId,
      status,
      controlNumber: 0,
      annulled: false,
      createdAt: now().toISOString(),
      approvedAt: status === 'Approved' ? now().toISOString() : null,
      assignedAt: null,
      name: d.Name,
      currency: d.Currency,
      total: new Dec(String(d.Total)).toFixed(2),
      grandTotal: new Dec(String(d.GrandTotal)).toFixed(2),
      grandTotalVES: new Dec(String(d.GrandTotalVES)).toFixed(2),
      affectedDocumentNumber: d.AffectedDocumentNumber ?? null,
      wire: body,
    };
    state.data.documents.push(record);
    return record;
  }

  function context(account: SandboxAccount): JudgeContext {
    return { store: state, account, takenInRequest: new Map(), referencesInRequest: new Set() };
  }

  api.post('/documents/create', (req, res) => {
    const account = accountOf(res);
    const body = (req.body ?? {}) as { BatchStrongId?: unknown; Docs?: unknown };
    const batch = batchOf(res, body.BatchStrongId);
    if (!batch) {
      fail(res, 400, 'BatchNotFound', `El lote ${String(body.BatchStrongId ?? '')} no existe`);
      return;
    }
    if (batch.currentStatus !== 1) {
      fail(res, 400, 'BatchNotOpen', 'El lote no está abierto');
      return;
    }
    if (!Array.isArray(body.Docs) || body.Docs.length === 0) {
      fail(res, 400, 'DocumentCantBeBuild', "'Docs' no debería estar vacío");
      return;
    }
    const ctx = context(account);
    const judged = body.Docs.map((doc) => judgeDocument(doc, ctx));
    const failures: Array<{ position: number; code: string; errors: DocumentError[] }> = [];
    judged.forEach((j, position) => {
      if (!j.ok) failures.push({ position, code: j.code, errors: j.errors });
      else if (j.document.SerieStrongId?.toLowerCase() !== batch.serieStrongId.toLowerCase()) {
        failures.push({ position, code: 'SerieNotValid', errors: [{ errorType: 'Validation', whatIsEval: 'SerieStrongId', errorMessage: 'El documento no pertenece a la serie del lote' }] });
      }
    });
    if (failures.length) {
      // All or nothing: a call with one bad document creates none (Galac's per-document error list).
      const docs = body.Docs as Array<Record<string, unknown>>;
      res.status(400).json(
        envelope(
          {
            result: 'error',
            errors: failures.map((f) => ({
              internalPosition: f.position,
              documentType: docs[f.position]?.DocumentType ?? null,
              number: docs[f.position]?.Number ?? null,
              errors: f.errors,
              message: f.errors[0]?.errorMessage ?? 'Documento inválido',
              code: f.code,
              batch: batch.strongId,
            })),
          },
          failures.map((f) => ({ code: f.code, message: f.errors[0]?.errorMessage ?? 'Documento inválido' })),
        ),
      );
      return;
    }
    const records = judged.map((j, i) => created(account, j as ReturnType<typeof judgeDocument> & { ok: true }, (body.Docs as unknown[])[i], batch.strongId, 'Created'));
    state.save();
    if (dropIfArmed(res)) return;
    res.json(envelope(records.map((r) => ({ StrongId: r.strongId, Number: r.number, SystemReference: r.systemReference }))));
  });

  api.post('/documents/createandapprove', (req, res) => {
    const account = accountOf(res);
    const judged = judgeDocument(req.body, context(account));
    if (!judged.ok) {
      res.status(400).json(envelope(null, judged.errors.map((e) => ({ code: judged.code, message: `${e.whatIsEval}: ${e.errorMessage}` }))));
      return;
    }
    const record = created(account, judged, req.body, null, 'Approved');
    state.save();
    if (dropIfArmed(res)) return;
    res.json(envelope(record.strongId, [], ['Documento creado y aprobado satisfactoriamente']));
  });

  api.post('/documents/searchbysystemreference', (req, res) => {
    const account = accountOf(res);
    const reference = (req.body as { SystemReference?: unknown } | undefined)?.SystemReference;
    if (typeof reference !== 'string' || !reference.trim()) {
      fail(res, 400, 'DocumentCantBeBuild', "'System Reference' no debería estar vacío");
      return;
    }
    const matches = state.data.documents.filter((d) => d.userName === account.userName && d.systemReference === reference.trim());
    const found = matches.filter((d) => d.status !== 'Cancelled').at(-1) ?? matches.at(-1);
    res.json(found ? envelope(documentView(found)) : envelope(null, [], ['No se encontró un documento con esa referencia']));
  });

  api.get('/documents', (req, res) => {
    const account = accountOf(res);
    const doc = state.data.documents.find((d) => d.userName === account.userName && d.strongId === req.query.strongId);
    if (!doc) {
      fail(res, 404, 'DocumentNotFound', 'El documento no existe');
      return;
    }
    res.json(envelope(documentView(doc), [], documentView(doc).information));
  });

  api.get('/documents/short/:id', (req, res) => {
    const doc = state.data.documents.find((d) => d.userName === accountOf(res).userName && d.strongId === req.params.id);
    if (!doc) {
      fail(res, 404, 'DocumentNotFound', 'El documento no existe');
      return;
    }
    res.json(envelope(`${doc.number}s${doc.strongId.replace(/\D/g, '').slice(0, 8)}`));
  });
  // The collection documents POST; the imprenta answers 405.
  api.post('/documents/short/:id', (_req, res) => {
    res.status(405).json(envelope(null, [{ code: 'MethodNotAllowed', message: 'Method Not Allowed' }]));
  });

  api.post('/documents/anulled', (req, res) => {
    const account = accountOf(res);
    const control = (req.body as { Control?: unknown } | undefined)?.Control;
    if (typeof control !== 'number' || !Number.isInteger(control) || control <= 0) {
      fail(res, 400, 'DocumentCantBeBuild', "'Control' debe ser el número de control (entero)");
      return;
    }
    const doc = state.data.documents.find((d) => d.userName === account.userName && d.controlNumber === control);
    if (!doc) {
      fail(res, 400, 'DocumentNotFound', `No existe un documento con el número de control ${control}`);
      return;
    }
    if (doc.annulled) {
      fail(res, 400, 'DocumentAlreadyAnnulled', 'El documento ya fue anulado');
      return;
    }
    doc.annulled = true;
    state.save();
    if (dropIfArmed(res)) return;
    res.json(envelope(doc.strongId, [], ['Documento anulado satisfactorimente']));
  });

  api.use((req, res) => {
    fail(res, 404, 'NotFound', `La ruta ${req.method} ${req.path} no existe`);
  });
  app.use(UNIDIGITAL_BASE_PATH, api);

  app.use((_req, res) => {
    res.status(404).json({ message: 'Not Found' });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const type = (error as { type?: string } | null)?.type;
    if (type === 'entity.parse.failed') return fail(res, 400, 'InvalidJson', 'El cuerpo de la petición no es JSON válido');
    if (type === 'entity.too.large') return fail(res, 413, 'PayloadTooLarge', `El cuerpo excede ${options.bodyLimit ?? '5mb'}`);
    fail(res, 500, 'InternalError', 'Error interno del servidor');
  });

  function reset(): void {
    state.reset();
    Object.assign(faults, noFaults());
    settings.controlNumberDelayMs = options.controlNumberDelayMs ?? 60_000;
    inFlight.clear();
  }

  return { app, state, faults, settings, assignDueControlNumbers, reset };
}
