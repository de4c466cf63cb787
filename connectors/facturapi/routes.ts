/**
 * FacturApi's REST surface: the ONE place that decides its routes and answer envelopes.
 *
 * The product's own REST API is not publicly documented [NF] (reference §4.1). Its capabilities
 * match FacturaSend (§4.6: `POST /lote/create`, `POST /de/estado`, `POST /evento/cancelacion`,
 * `POST /evento/inutilizacion`, `Authorization: Bearer api_key_…`, base `…/<tenantId>`), so the
 * routes below follow FacturaSend's, and where FacturaSend documents nothing (consulting a lote, the
 * RUC lookup, every answer body) they carry SIFEN's own answers (§4.5: rResEnviLoteDe,
 * rResEnviConsLoteDe, consulta by CDC, consulta RUC) inside a `{ success, result | error }`
 * envelope. Both the client (client.ts) and the sandbox (sandbox/app.ts) build on this file, so
 * changing a route or a field here changes both; if the real product differs, this file, the
 * parsers in responses.ts and the sandbox routes are what to adapt.
 */

/** Paths relative to `${baseUrl}/${tenantId}`. */
export const ROUTES = {
  /** Body: an array of 1–50 DE (wire.ts), one tipoDocumento. Query `tax=true` adds SIFEN's totals per DE. */
  loteCreate: '/lote/create',
  /** SIFEN consulta-lote for the dProtConsLote returned by loteCreate. */
  loteConsulta: (loteId: string) => `/lote/${encodeURIComponent(loteId)}`,
  /** Body `{ cdcList: [{ cdc }] }`: FacturApi's own record of each DE plus SIFEN's consulta by CDC. */
  deEstado: '/de/estado',
  /** Body `{ cdc, motivo }`. */
  eventoCancelacion: '/evento/cancelacion',
  /** Body `{ tipoDocumento, establecimiento, punto, desde, hasta, motivo }`. */
  eventoInutilizacion: '/evento/inutilizacion',
  /** SIFEN consulta-RUC; the RUC without its check digit. */
  consultaRuc: (ruc: string) => `/ruc/${encodeURIComponent(ruc)}`,
} as const;

/** `Authorization: Bearer <apiKey>`; FacturaSend's keys look like `api_key_…`. */
export function authorizationHeader(apiKey: string): string {
  return `Bearer ${apiKey}`;
}

// ─── answer bodies (what the sandbox sends and responses.ts reads) ─────────────────────────────

/** Every failure: `{ success: false, error }`; validation failures also list `errores` per document. */
export interface FailureBody {
  success: false;
  error: string;
  /** Lote validation: the documents that failed, by their position in the lote (0-based). */
  errores?: { indice: number; error: string }[];
}

/** FacturApi's record of one DE right after it generated it. */
export interface CreatedDe {
  cdc: string;
  tipoDocumento: number;
  /** 001-001-0000001 */
  numero: string;
  /** `0-Generado` until SIFEN answers. */
  estado: string;
  /** With `?tax=true`: SIFEN's totals as the KuDE will show them (tax.ts field names). */
  totales?: Record<string, string>;
}

/** 200 to lote/create: SIFEN's rResEnviLoteDe, plus what FacturApi generated. */
export interface LoteCreateResult {
  dFecProc: string;
  /** 0300 received, 0301 not queued. */
  dCodRes: string;
  dMsgRes: string;
  /** The lote number to consult (absent with 0301). */
  dProtConsLote?: string;
  /** SIFEN's average processing time, seconds. */
  dTpoProces?: string;
  deList: CreatedDe[];
}

export interface ResultReason {
  dCodRes: string;
  dMsgRes: string;
}

/** One gResProcLote entry of consulta-lote. */
export interface LoteDocumentResult {
  /** The CDC. */
  id: string;
  dEstRes: 'Aprobado' | 'Aprobado con observación' | 'Rechazado';
  /** Authorization protocol number (approved documents). */
  dProtAut?: string;
  gResProc: ResultReason[];
}

/** 200 to lote consulta: SIFEN's rResEnviConsLoteDe. */
export interface LoteConsultaResult {
  dFecProc: string;
  /** 0360 unknown lote, 0361 in process, 0362 done, 0364 past 48 h (ask by CDC). */
  dCodResLot: string;
  dMsgResLot: string;
  gResProcLote?: LoteDocumentResult[];
}

/** FacturApi's states of a DE (`estado`), as `<code>-<name>`. */
export const DE_ESTADOS = {
  generated: '0-Generado',
  approved: '1-Aprobado',
  approvedWithObservation: '2-Aprobado con observación',
  rejected: '3-Rechazado',
  cancelled: '4-Cancelado',
} as const;

/** One entry of de/estado. `estado` null with dCodRes 0420: neither FacturApi nor SIFEN know the CDC. */
export interface DeEstado {
  cdc: string;
  estado: string | null;
  /** SIFEN consulta by CDC: 0422 found (approved), 0420 not found or not approved. */
  dCodRes: string;
  dMsgRes: string;
  tipoDocumento?: number;
  numero?: string;
  dProtAut?: string;
  /** SIFEN's reasons (rejection or observation). */
  gResProc?: ResultReason[];
  /** When the approval was received (ISO); cancellation is possible for 48 h after it. */
  fechaAprobacion?: string;
}

export interface DeEstadoResult {
  deList: DeEstado[];
}

/** 200 to an event: SIFEN's answer to the signed event. */
export interface EventoResult {
  dCodRes: string;
  dMsgRes: string;
  /** The event's id at FacturApi. */
  id: string;
}

/** 200 to consulta RUC: 0502 found (with xContRUC), 0500 unknown. */
export interface ConsultaRucResult {
  dCodRes: string;
  dMsgRes: string;
  xContRUC?: {
    dRUCCons: string;
    dRazCons: string;
    /** ACT activo, SUS suspendido, CAN cancelado, BLQ bloqueado. */
    dCodEstCons: string;
    dDesEstCons: string;
    /** S when the taxpayer issues electronic documents. */
    dRUCFactElec: 'S' | 'N';
  };
}
