/**
 * The FacturApi sandbox as an express app: the REST surface of routes.ts under `/:tenant`, with
 * SIFEN's asynchronous lote processing behind it, plus `/_sandbox/*` endpoints for tests.
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
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { CANCELLATION_WINDOW_MS, LOTE_MAX_BYTES, LOTE_QUERY_WINDOW_MS, SIFEN, isApproved } from '../codes.js';
import { fiscalNumberOf, isValidCdc } from '../cdc.js';
import {
  DE_ESTADOS,
  type ConsultaRucResult,
  type DeEstado,
  type EventoResult,
  type FailureBody,
  type LoteConsultaResult,
  type LoteCreateResult,
} from '../routes.js';
import { KIND_BY_TIPO, TIPO_DOCUMENTO_NAMES } from '../wire.js';
import type { SandboxTenant } from './seed.js';
import { associatedCdcs, generateLote, judge } from './sifen.js';
import { SandboxStore, type StoredDocument, type StoredLote } from './state.js';

export interface FacturapiSandboxOptions {
  /** JSON file the state is written to after every change and read from at start. */
  dataFile?: string;
  /** Start with the demo tenant (default true). */
  seed?: boolean;
  /** Requests per minute per tenant (default 60). */
  requestsPerMinute?: number;
  /** How long SIFEN takes to process a lote (default 3000 ms); consultations before get 0361. */
  processingDelayMs?: number;
  /** The first N consultations of each lote (by lote or by CDC) find it in process, whatever the time (default 0). */
  pendingPolls?: number;
  bodyLimit?: string;
  now?: () => Date;
  random?: () => number;
}

export interface SandboxFaults extends ChaosFaults {
  errorRate: number;
  latencyMs: number;
  force429: number;
  retryAfterSeconds: number;
  /** The next N accepted lote/create or event requests are stored, then the connection is dropped. */
  dropAfterAccept: number;
  /** The next N lotes are answered 0301 (not queued); nothing is stored. */
  notQueued: number;
}

export interface FacturapiSandbox {
  app: express.Express;
  state: SandboxStore;
  faults: SandboxFaults;
  reset(): void;
}

export const FaultsInput = z.strictObject({
  errorRate: z.number().min(0).max(1, { error: 'errorRate must be between 0 and 1' }).optional(),
  latencyMs: z.number().int().min(0).max(120_000, { error: 'latencyMs must be 0..120000' }).optional(),
  force429: z.number().int().min(0).optional(),
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  dropAfterAccept: z.number().int().min(0).optional(),
  notQueued: z.number().int().min(0).optional(),
  ...chaosFaultsShape,
});

function noFaults(): SandboxFaults {
  return { errorRate: 0, latencyMs: 0, force429: 0, retryAfterSeconds: 1, dropAfterAccept: 0, notQueued: 0, ...noChaosFaults() };
}

const fail = (res: Response, status: number, error: string, errores?: FailureBody['errores']) => {
  const body: FailureBody = { success: false, error, ...(errores ? { errores } : {}) };
  res.status(status).json(body);
};
const ok = (res: Response, result: unknown) => res.json({ success: true, result });

interface Locals {
  tenant: SandboxTenant;
}

const MOTIVO = /^[\s\S]{5,500}$/;

export function createFacturapiSandbox(options: FacturapiSandboxOptions = {}): FacturapiSandbox {
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const state = new SandboxStore({ ...(options.dataFile ? { dataFile: options.dataFile } : {}), seed: options.seed ?? true });
  const faults = noFaults();
  const limit = options.requestsPerMinute ?? 60;
  const windows = new Map<string, { count: number; resetAt: number }>();

  const app = express();
  app.disable('x-powered-by');

  // ─── test endpoints ─────────────────────────────────────────────────────────────────────────
  const testing = express.Router();
  testing.use(express.json({ limit: '100kb' }));
  testing.get('/documents', (req, res) => {
    const tenant = typeof req.query.tenant === 'string' ? req.query.tenant : undefined;
    res.json({ documents: state.data.documents.filter((d) => !tenant || d.tenant === tenant).map(documentView) });
  });
  testing.get('/events', (_req, res) => {
    res.json({ events: state.data.events, inutilized: state.data.inutilized });
  });
  addFaultRoutes(testing, { faults, schema: FaultsInput, none: noFaults, expected: `{errorRate?: 0..1, latencyMs?, force429?, retryAfterSeconds?, dropAfterAccept?, notQueued?, ${CHAOS_FAULTS_EXPECTED}}`, reset });
  app.use('/_sandbox', testing);

  // ─── the API, per tenant ───────────────────────────────────────────────────────────────────
  const api = express.Router({ mergeParams: true });
  // Larger than SIFEN's 1000 KB so an oversized lote reaches SIFEN's own answer (0270).
  api.use(express.json({ limit: options.bodyLimit ?? '5mb', verify: (req, _res, buf) => ((req as Request & { rawLength?: number }).rawLength = buf.length) }));

  api.use(async (_req: Request, res: Response, next: NextFunction) => {
    await applyLatency(faults, random);
    if (takeRateLimit(faults, random)) {
      res.setHeader('Retry-After', String(faults.retryAfterSeconds));
      return fail(res, 429, `Demasiadas solicitudes: intente nuevamente en ${faults.retryAfterSeconds} segundos`);
    }
    if (takeError(faults, random)) {
      return random() < 0.5 ? fail(res, 503, 'Servicio no disponible (falla simulada del sandbox)') : fail(res, 500, 'Error interno (falla simulada del sandbox)');
    }
    next();
  });

  api.use((req: Request, res: Response, next: NextFunction) => {
    const tenant = state.tenant(String(req.params.tenant));
    if (!tenant) return fail(res, 404, 'Tenant inexistente: verifique la URL base');
    const header = req.headers.authorization ?? '';
    const key = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
    if (!key || key !== tenant.apiKey) return fail(res, 401, 'API key inválida o ausente (Authorization: Bearer api_key_…)');
    const at = now().getTime();
    let window = windows.get(tenant.id);
    if (!window || window.resetAt <= at) {
      window = { count: 0, resetAt: at + 60_000 };
      windows.set(tenant.id, window);
    }
    if (window.count >= limit) {
      const seconds = Math.max(1, Math.ceil((window.resetAt - at) / 1000));
      res.setHeader('Retry-After', String(seconds));
      return fail(res, 429, `Demasiadas solicitudes: límite de ${limit} por minuto; intente nuevamente en ${seconds} segundos`);
    }
    window.count += 1;
    (res.locals as Locals).tenant = tenant;
    next();
  });

  const tenantOf = (res: Response) => (res.locals as Locals).tenant;

  function dropIfArmed(res: Response): boolean {
    if (!takeDropAfterAccept(faults, random)) return false;
    res.socket?.destroy();
    return true;
  }

  /** Whether SIFEN has finished a lote; a consultation counts against `pendingPolls`. */
  function processed(lote: StoredLote, countPoll: boolean): boolean {
    if (lote.pendingPolls > 0) {
      if (countPoll) {
        lote.pendingPolls -= 1;
        state.save();
      }
      return false;
    }
    return now().getTime() >= Date.parse(lote.readyAt);
  }

  /** FacturApi's state of a DE; a consultation by CDC counts against the lote's pendingPolls too. */
  function visibleEstado(doc: StoredDocument, countPoll = false): string {
    const lote = state.data.lotes[doc.loteId];
    if (lote && !processed(lote, countPoll)) return DE_ESTADOS.generated;
    if (doc.cancelledAt) return DE_ESTADOS.cancelled;
    if (doc.verdict.dEstRes === 'Aprobado') return DE_ESTADOS.approved;
    if (doc.verdict.dEstRes === 'Aprobado con observación') return DE_ESTADOS.approvedWithObservation;
    return DE_ESTADOS.rejected;
  }

  /** The approved, uncancelled copy of a CDC, else its latest copy. */
  function documentByCdc(tenant: SandboxTenant, cdc: string): StoredDocument | undefined {
    const copies = state.data.documents.filter((d) => d.tenant === tenant.id && d.cdc === cdc);
    return copies.find((d) => isApproved(d.verdict.dEstRes)) ?? copies[copies.length - 1];
  }

  // POST /:tenant/lote/create
  api.post('/lote/create', (req, res) => {
    const tenant = tenantOf(res);
    const received = now();
    const generated = generateLote(req.body, tenant, random);
    if (!generated.ok) return fail(res, 400, generated.error, generated.errores);
    const fecProc = received.toISOString();
    if ((req as Request & { rawLength?: number }).rawLength! > LOTE_MAX_BYTES) {
      const answer: LoteCreateResult = { dFecProc: fecProc, dCodRes: SIFEN.MENSAJE_EXCEDE_TAMANO.code, dMsgRes: SIFEN.MENSAJE_EXCEDE_TAMANO.message, deList: [] };
      return ok(res, answer);
    }
    const deList = generated.documents.map((doc) => ({
      cdc: doc.cdc,
      tipoDocumento: doc.data.tipoDocumento,
      numero: fiscalNumberOf(doc.data.establecimiento, doc.data.punto, doc.data.numero),
      estado: DE_ESTADOS.generated,
      ...(req.query.tax === 'true' ? { totales: doc.totals } : {}),
    }));
    if (faults.notQueued > 0) {
      faults.notQueued -= 1;
      const answer: LoteCreateResult = { dFecProc: fecProc, dCodRes: SIFEN.LOTE_NO_ENCOLADO.code, dMsgRes: SIFEN.LOTE_NO_ENCOLADO.message, deList };
      return ok(res, answer);
    }
    const loteId = state.nextNumber();
    const tipoDocumento = generated.documents[0]!.data.tipoDocumento;
    for (const doc of generated.documents) {
      // Judged one after another, so a CDC or number repeated across lotes meets its earlier copy.
      const verdict = judge(doc, tenant, state.data, received, () => state.nextNumber());
      state.data.documents.push({
        cdc: doc.cdc,
        tenant: tenant.id,
        tipoDocumento,
        establecimiento: String(doc.data.establecimiento).padStart(3, '0'),
        punto: String(doc.data.punto).padStart(3, '0'),
        numero: String(doc.data.numero).padStart(7, '0'),
        fecha: doc.data.fecha,
        loteId,
        receivedAt: fecProc,
        totals: doc.totals,
        associatedCdc: associatedCdcs(doc.data)[0] ?? null,
        verdict,
        cancelledAt: null,
        wire: doc.data as unknown as Record<string, unknown>,
      });
    }
    state.data.lotes[loteId] = {
      loteId,
      tenant: tenant.id,
      tipoDocumento,
      receivedAt: fecProc,
      readyAt: new Date(received.getTime() + (options.processingDelayMs ?? 3000)).toISOString(),
      pendingPolls: options.pendingPolls ?? 0,
      cdcs: generated.documents.map((d) => d.cdc),
    };
    state.save();
    if (dropIfArmed(res)) return;
    const answer: LoteCreateResult = {
      dFecProc: fecProc,
      dCodRes: SIFEN.LOTE_RECIBIDO.code,
      dMsgRes: SIFEN.LOTE_RECIBIDO.message,
      dProtConsLote: loteId,
      dTpoProces: String(Math.ceil((options.processingDelayMs ?? 3000) / 1000)),
      deList,
    };
    ok(res, answer);
  });

  // GET /:tenant/lote/:loteId — SIFEN consulta-lote
  api.get('/lote/:loteId', (req, res) => {
    const tenant = tenantOf(res);
    const lote = state.data.lotes[String(req.params.loteId)];
    const dFecProc = now().toISOString();
    let answer: LoteConsultaResult;
    if (!lote || lote.tenant !== tenant.id) {
      answer = { dFecProc, dCodResLot: SIFEN.LOTE_INEXISTENTE.code, dMsgResLot: SIFEN.LOTE_INEXISTENTE.message };
    } else if (now().getTime() - Date.parse(lote.receivedAt) >= LOTE_QUERY_WINDOW_MS) {
      answer = { dFecProc, dCodResLot: SIFEN.LOTE_EXTEMPORANEO.code, dMsgResLot: SIFEN.LOTE_EXTEMPORANEO.message };
    } else if (!processed(lote, true)) {
      answer = { dFecProc, dCodResLot: SIFEN.LOTE_EN_PROCESAMIENTO.code, dMsgResLot: SIFEN.LOTE_EN_PROCESAMIENTO.message };
    } else {
      const documents = state.data.documents.filter((d) => d.loteId === lote.loteId);
      answer = {
        dFecProc,
        dCodResLot: SIFEN.LOTE_CONCLUIDO.code,
        dMsgResLot: SIFEN.LOTE_CONCLUIDO.message,
        gResProcLote: documents.map((d) => ({
          id: d.cdc,
          dEstRes: d.verdict.dEstRes,
          ...(d.verdict.dProtAut ? { dProtAut: d.verdict.dProtAut } : {}),
          gResProc: d.verdict.gResProc,
        })),
      };
    }
    ok(res, answer);
  });

  // POST /:tenant/de/estado — FacturApi's record + SIFEN consulta by CDC
  api.post('/de/estado', (req, res) => {
    const tenant = tenantOf(res);
    const list = (req.body as { cdcList?: unknown } | undefined)?.cdcList;
    if (!Array.isArray(list) || list.length === 0 || list.length > 50) {
      return fail(res, 400, 'Debe indicar de 1 a 50 CDC en cdcList: [{ "cdc": "…" }]');
    }
    const deList: DeEstado[] = list.map((entry) => {
      const cdc = String((entry as { cdc?: unknown } | null)?.cdc ?? '');
      const doc = isValidCdc(cdc) ? documentByCdc(tenant, cdc) : undefined;
      if (!doc) return { cdc, estado: null, dCodRes: SIFEN.CDC_INEXISTENTE.code, dMsgRes: SIFEN.CDC_INEXISTENTE.message };
      const estado = visibleEstado(doc, true);
      const found = estado === DE_ESTADOS.approved || estado === DE_ESTADOS.approvedWithObservation || estado === DE_ESTADOS.cancelled;
      const lote = state.data.lotes[doc.loteId];
      return {
        cdc,
        estado,
        dCodRes: found ? SIFEN.CDC_ENCONTRADO.code : SIFEN.CDC_INEXISTENTE.code,
        dMsgRes: found ? SIFEN.CDC_ENCONTRADO.message : SIFEN.CDC_INEXISTENTE.message,
        tipoDocumento: doc.tipoDocumento,
        numero: fiscalNumberOf(doc.establecimiento, doc.punto, doc.numero),
        ...(estado !== DE_ESTADOS.generated ? { gResProc: doc.verdict.gResProc } : {}),
        ...(found && doc.verdict.dProtAut ? { dProtAut: doc.verdict.dProtAut } : {}),
        ...(found && lote ? { fechaAprobacion: lote.readyAt } : {}),
      };
    });
    ok(res, { deList });
  });

  // POST /:tenant/evento/cancelacion
  api.post('/evento/cancelacion', (req, res) => {
    const tenant = tenantOf(res);
    const body = (req.body ?? {}) as { cdc?: unknown; motivo?: unknown };
    if (!isValidCdc(body.cdc)) return fail(res, 400, 'Debe indicar el CDC (44 dígitos) del DE a cancelar en cdc');
    if (typeof body.motivo !== 'string' || !MOTIVO.test(body.motivo.trim())) return fail(res, 400, 'El motivo de la cancelación debe tener de 5 a 500 caracteres');
    const doc = documentByCdc(tenant, body.cdc);
    const estado = doc ? visibleEstado(doc) : undefined;
    if (!doc || (estado !== DE_ESTADOS.approved && estado !== DE_ESTADOS.approvedWithObservation && estado !== DE_ESTADOS.cancelled)) {
      return fail(res, 400, 'Solo se puede cancelar un DE aprobado: el CDC no corresponde a un DE aprobado de esta cuenta');
    }
    if (doc.cancelledAt) return fail(res, 400, 'El DE ya fue cancelado');
    const approvedAt = Date.parse(state.data.lotes[doc.loteId]?.readyAt ?? doc.receivedAt);
    if (now().getTime() - approvedAt > CANCELLATION_WINDOW_MS) {
      return fail(res, 400, 'El plazo para cancelar venció: la cancelación solo es posible dentro de las 48 horas de la aprobación; emita una nota de crédito');
    }
    const notes = state.data.documents.filter((d) => d.tenant === tenant.id && d.associatedCdc === doc.cdc && isApproved(d.verdict.dEstRes) && !d.cancelledAt);
    if (notes.length > 0) return fail(res, 400, 'El DE tiene notas de crédito o débito aprobadas asociadas: no puede cancelarse');
    doc.cancelledAt = now().toISOString();
    const answer = recordEvent(tenant, 'cancelacion', { cdc: doc.cdc, motivo: body.motivo.trim() });
    if (dropIfArmed(res)) return;
    ok(res, answer);
  });

  // POST /:tenant/evento/inutilizacion
  api.post('/evento/inutilizacion', (req, res) => {
    const tenant = tenantOf(res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const tipo = body.tipoDocumento;
    if (!(typeof tipo === 'number' && tipo >= 1 && tipo <= 7)) return fail(res, 400, 'tipoDocumento debe ser un número de 1 a 7');
    const establecimiento = /^\d{1,3}$/.test(String(body.establecimiento ?? '')) ? String(body.establecimiento).padStart(3, '0') : '';
    const punto = /^\d{1,3}$/.test(String(body.punto ?? '')) ? String(body.punto).padStart(3, '0') : '';
    if (!establecimiento || !punto) return fail(res, 400, 'establecimiento y punto deben ser códigos de 1 a 3 dígitos');
    const desde = Number(body.desde);
    const hasta = Number(body.hasta);
    if (!(Number.isInteger(desde) && Number.isInteger(hasta) && desde >= 1 && hasta >= desde && hasta <= 9_999_999)) {
      return fail(res, 400, 'desde y hasta deben ser números enteros con 1 ≤ desde ≤ hasta ≤ 9999999');
    }
    if (typeof body.motivo !== 'string' || !MOTIVO.test(body.motivo.trim())) return fail(res, 400, 'El motivo de la inutilización debe tener de 5 a 500 caracteres');
    if (!tenant.establecimientos.includes(establecimiento)) return fail(res, 400, `El establecimiento ${establecimiento} no está habilitado en el timbrado ${tenant.timbrado}`);
    const used = state.data.documents.find(
      (d) =>
        d.tenant === tenant.id &&
        d.tipoDocumento === tipo &&
        d.establecimiento === establecimiento &&
        d.punto === punto &&
        Number(d.numero) >= desde &&
        Number(d.numero) <= hasta &&
        d.verdict.dEstRes !== 'Rechazado',
    );
    if (used) return fail(res, 400, `No se puede inutilizar: el número ${fiscalNumberOf(establecimiento, punto, used.numero)} corresponde a un DE emitido o en proceso`);
    const overlap = state.data.inutilized.some(
      (r) => r.tenant === tenant.id && r.tipoDocumento === tipo && r.establecimiento === establecimiento && r.punto === punto && desde <= r.hasta && hasta >= r.desde,
    );
    if (overlap) return fail(res, 400, 'El rango ya fue inutilizado, total o parcialmente');
    state.data.inutilized.push({ tenant: tenant.id, tipoDocumento: tipo, establecimiento, punto, desde, hasta });
    const answer = recordEvent(tenant, 'inutilizacion', { tipoDocumento: tipo, establecimiento, punto, desde, hasta, motivo: body.motivo.trim() });
    if (dropIfArmed(res)) return;
    ok(res, answer);
  });

  // GET /:tenant/ruc/:ruc — SIFEN consulta-RUC (the RUC without its check digit)
  api.get('/ruc/:ruc', (req, res) => {
    const ruc = String(req.params.ruc);
    if (!/^[0-9A-Za-z]{1,8}$/.test(ruc)) return fail(res, 400, 'El RUC a consultar debe tener de 1 a 8 caracteres, sin el dígito verificador');
    const taxpayer = Object.hasOwn(state.data.taxpayers, ruc) ? state.data.taxpayers[ruc] : undefined;
    const answer: ConsultaRucResult = taxpayer
      ? {
          dCodRes: SIFEN.RUC_ENCONTRADO.code,
          dMsgRes: SIFEN.RUC_ENCONTRADO.message,
          xContRUC: {
            dRUCCons: ruc,
            dRazCons: taxpayer.razonSocial,
            dCodEstCons: taxpayer.estado,
            dDesEstCons: { ACT: 'ACTIVO', SUS: 'SUSPENSION TEMPORAL', CAN: 'CANCELADO', BLQ: 'BLOQUEADO' }[taxpayer.estado],
            dRUCFactElec: taxpayer.facturadorElectronico ? 'S' : 'N',
          },
        }
      : { dCodRes: SIFEN.RUC_INEXISTENTE.code, dMsgRes: SIFEN.RUC_INEXISTENTE.message };
    ok(res, answer);
  });

  api.use((_req, res) => fail(res, 404, 'Ruta inexistente'));
  app.use('/:tenant', api);
  app.use((_req, res) => fail(res, 404, 'Ruta inexistente'));

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const type = (error as { type?: string } | null)?.type;
    if (type === 'entity.parse.failed') return fail(res, 400, 'El cuerpo no es JSON válido');
    if (type === 'entity.too.large') return fail(res, 413, `El cuerpo supera ${options.bodyLimit ?? '5mb'}`);
    fail(res, 500, 'Error interno del sandbox');
  });

  function recordEvent(tenant: SandboxTenant, type: 'cancelacion' | 'inutilizacion', data: Record<string, unknown>): EventoResult {
    const id = state.nextNumber();
    state.data.events.push({ id, tenant: tenant.id, type, at: now().toISOString(), data });
    state.save();
    return { dCodRes: SIFEN.EVENTO_REGISTRADO.code, dMsgRes: SIFEN.EVENTO_REGISTRADO.message, id };
  }

  function documentView(doc: StoredDocument) {
    return {
      cdc: doc.cdc,
      tenant: doc.tenant,
      tipoDocumento: doc.tipoDocumento,
      tipoDocumentoNombre: TIPO_DOCUMENTO_NAMES[doc.tipoDocumento],
      kind: KIND_BY_TIPO[doc.tipoDocumento] ?? null,
      numero: fiscalNumberOf(doc.establecimiento, doc.punto, doc.numero),
      fecha: doc.fecha,
      estado: visibleEstado(doc),
      dEstRes: doc.verdict.dEstRes,
      gResProc: doc.verdict.gResProc,
      loteId: doc.loteId,
      receivedAt: doc.receivedAt,
      cancelledAt: doc.cancelledAt,
      associatedCdc: doc.associatedCdc,
      totals: doc.totals,
      wire: doc.wire,
    };
  }

  function reset(): void {
    state.reset();
    Object.assign(faults, noFaults());
    windows.clear();
  }

  return { app, state, faults, reset };
}
