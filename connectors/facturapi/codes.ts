/**
 * SIFEN result codes (reference §4.5, secondary sources quoting Manual Técnico v150 and DNIT's
 * "Guía de Mejores Prácticas", Oct 2024) and the per-document verdicts of a processed lote.
 *
 * Codes marked [sandbox] are not in the reference: the sandbox needs a code for a situation the
 * reference describes only in words, and Puente never decides on them by number alone.
 */
export const SIFEN = {
  // recibe-lote (rResEnviLoteDe)
  LOTE_RECIBIDO: { code: '0300', message: 'Lote recibido con éxito' },
  LOTE_NO_ENCOLADO: { code: '0301', message: 'Lote no encolado para procesamiento' },
  MENSAJE_EXCEDE_TAMANO: { code: '0270', message: 'Mensaje excede tamaño máximo permitido' },
  // consulta-lote (rResEnviConsLoteDe)
  LOTE_INEXISTENTE: { code: '0360', message: 'Número de Lote inexistente' },
  LOTE_EN_PROCESAMIENTO: { code: '0361', message: 'Lote en procesamiento' },
  LOTE_CONCLUIDO: { code: '0362', message: 'Procesamiento de lote concluido' },
  LOTE_EXTEMPORANEO: { code: '0364', message: 'Consulta extemporánea de Lote: consulte por CDC' },
  // recibe (sync) and per-document results
  DE_APROBADO: { code: '0260', message: 'Autorización del DE satisfactoria' },
  // consulta by CDC
  CDC_INEXISTENTE: { code: '0420', message: 'CDC inexistente o DE no aprobado' },
  CDC_ENCONTRADO: { code: '0422', message: 'CDC encontrado' },
  // [sandbox] per-document rejections and observations described by the reference in words
  CDC_DUPLICADO: { code: '1001', message: 'CDC duplicado: ya existe un DE aprobado con este CDC' },
  NUMERO_DUPLICADO: { code: '1002', message: 'Número de documento duplicado para el timbrado, establecimiento y punto' },
  NUMERO_INUTILIZADO: { code: '1003', message: 'Número de documento inutilizado' },
  DOCUMENTO_ASOCIADO_INEXISTENTE: { code: '1004', message: 'CDC del documento asociado inexistente o no aprobado' },
  RUC_RECEPTOR_DV: { code: '1005', message: 'Dígito verificador del RUC del receptor inválido' },
  TRANSMISION_EXTEMPORANEA: { code: '1006', message: 'DE transmitido fuera del plazo de 72 horas desde su emisión' },
  // [sandbox] events and RUC lookup
  EVENTO_REGISTRADO: { code: '0600', message: 'Evento registrado correctamente' },
  RUC_INEXISTENTE: { code: '0500', message: 'RUC inexistente' },
  RUC_ENCONTRADO: { code: '0502', message: 'RUC encontrado' },
} as const;

export type SifenVerdict = 'Aprobado' | 'Aprobado con observación' | 'Rechazado';

/** "Aprobado" and "Aprobado con observación" are both legal, issued documents. */
export function isApproved(verdict: string | undefined): boolean {
  return verdict === 'Aprobado' || verdict === 'Aprobado con observación';
}

/** SIFEN keeps a lote answerable for 48 h after it was sent; later only by CDC (code 0364). */
export const LOTE_QUERY_WINDOW_MS = 48 * 60 * 60 * 1000;
/** A DE can be cancelled for 48 h after its approval (FacturaSend, FactPy [S]). */
export const CANCELLATION_WINDOW_MS = 48 * 60 * 60 * 1000;
/** SIFEN's limits for one lote (setapi + Guía de Mejores Prácticas). */
export const LOTE_MAX_DOCUMENTS = 50;
export const LOTE_MAX_BYTES = 1000 * 1024;
export const LOTE_MAX_DOCUMENTS_MESSAGE = 'Sólo se permiten un máximo de 50 Documentos electrónicos XML por lote';
