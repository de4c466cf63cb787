/**
 * FacturApi wire documents: the JSON of one SIFEN document (DE) in the data model of
 * facturacionelectronicapy-xmlgen (reference §4.2), for tipoDocumento 1 (factura), 5 (nota de
 * crédito) and 6 (nota de débito), validated the way xmlgen validates it, plus the check of
 * `totalesEsperados` against SIFEN's formulas (tax.ts).
 *
 * One validator serves Puente (before sending: `facturapiWireSchema`) and the sandbox (when a lote
 * arrives), so they cannot disagree. Messages follow xmlgen's: Spanish, naming the field as
 * `data.items[0].iva`. They never repeat a buyer's name, RUC or document number.
 *
 * Like xmlgen, amounts may be JSON numbers or decimal strings (xmlgen reads them with parseFloat);
 * Puente's mappings always send strings. Codes (tipoDocumento, ivaTipo, condicion.tipo, …) are
 * numbers: xmlgen compares several of them with `===`.
 *
 * `totalesEsperados` is not part of xmlgen's model: it is FacturApi's [NF] control block (see
 * README "Assumptions"): the totals the sender expects, in SIFEN's field names; a document whose
 * items do not give them under SIFEN's formulas is refused instead of issued with other amounts.
 */
import { z } from 'zod';
import { rucCheckDigit } from '../../src/domain/identifiers.js';
import type { DocumentKind } from '../../src/domain/fiscal-document.js';
import { computeCdc, isValidCdc } from './cdc.js';
import { SIFEN_TOTAL_FIELDS, computeSifenAmounts, totalsMismatches, type Amount } from './tax.js';

// ─── document types ────────────────────────────────────────────────────────────────────────────

export type FacturapiDocumentKind = 'invoice' | 'credit_note' | 'debit_note';

/** SIFEN tipoDocumento by Puente kind (C002: 1 Factura electrónica, 5 Nota de crédito, 6 Nota de débito). */
export const TIPO_DOCUMENTO: Record<FacturapiDocumentKind, 1 | 5 | 6> = { invoice: 1, credit_note: 5, debit_note: 6 };
export const KIND_BY_TIPO: Record<number, FacturapiDocumentKind> = { 1: 'invoice', 5: 'credit_note', 6: 'debit_note' };
export const TIPO_DOCUMENTO_NAMES: Record<number, string> = {
  1: 'Factura electrónica',
  2: 'Factura electrónica de exportación',
  3: 'Factura electrónica de importación',
  4: 'Autofactura electrónica',
  5: 'Nota de crédito electrónica',
  6: 'Nota de débito electrónica',
  7: 'Nota de remisión electrónica',
  8: 'Comprobante de retención electrónico',
};

export function isFacturapiKind(kind: DocumentKind): kind is FacturapiDocumentKind {
  return kind in TIPO_DOCUMENTO;
}

// ─── the shape (what Puente reads back from a validated document) ──────────────────────────────

export interface FacturapiItem {
  codigo: string;
  descripcion: string;
  unidadMedida?: number;
  cantidad: Amount;
  precioUnitario: Amount;
  descuento?: Amount;
  anticipo?: Amount;
  ivaTipo: number;
  ivaProporcion?: Amount;
  ivaBase?: Amount;
  iva: Amount;
  [key: string]: unknown;
}

export interface FacturapiCliente {
  contribuyente: boolean;
  ruc?: string;
  tipoContribuyente?: number;
  razonSocial: string;
  tipoOperacion: number;
  documentoTipo?: number;
  documentoNumero?: string | number;
  pais: string;
  [key: string]: unknown;
}

export interface FacturapiDocumentoAsociado {
  formato: number;
  cdc?: string;
  [key: string]: unknown;
}

export interface FacturapiDe {
  tipoDocumento: number;
  establecimiento: string | number;
  punto: string | number;
  numero: string | number;
  codigoSeguridadAleatorio?: string | number;
  cdc?: string;
  /** `YYYY-MM-DDTHH:mm:ss`, Paraguay's local time. */
  fecha: string;
  tipoEmision?: number;
  tipoTransaccion?: number;
  tipoImpuesto: number;
  moneda?: string;
  condicionTipoCambio?: number;
  cambio?: Amount;
  descuentoGlobal?: Amount;
  anticipoGlobal?: Amount;
  cliente: FacturapiCliente;
  factura?: { presencia: number; [key: string]: unknown };
  notaCreditoDebito?: { motivo: number };
  condicion?: { tipo: number; entregas?: Record<string, unknown>[]; credito?: Record<string, unknown> };
  items: FacturapiItem[];
  documentoAsociado?: FacturapiDocumentoAsociado | FacturapiDocumentoAsociado[];
  totalesEsperados?: Partial<Record<(typeof SIFEN_TOTAL_FIELDS)[number], Amount>>;
  [key: string]: unknown;
}

// ─── validation ────────────────────────────────────────────────────────────────────────────────

export interface WireIssue {
  path: (string | number)[];
  message: string;
}

export interface ValidateOptions {
  /** The kind Puente means to send; tipoDocumento must agree. */
  kind?: FacturapiDocumentKind;
  /**
   * `local` (the API): fecha must be SIFEN's `YYYY-MM-DDTHH:mm:ss`. `offset` (Puente): an ISO
   * instant with its UTC offset is accepted too and rewritten to its local wall time by
   * `facturapiWireSchema`, because mapping format v1 cannot reformat a datetime.
   */
  fecha?: 'local' | 'offset';
  /** Also verify the RUC check digits (Puente does; the API leaves that to SIFEN). */
  checkRucDigits?: boolean;
  /** Passed to the totals check (xmlgen's default: true). */
  redondeoSedeco?: boolean;
}

const LOCAL_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const OFFSET_DATETIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
const DECIMAL = /^\d+(\.\d+)?$/;
const TAGS = /<[^>]*>/;

const TIPOS_DOCUMENTO_RECEPTOR = new Set([1, 2, 3, 4, 5, 6, 9]);
const PRESENCIAS = new Set([1, 2, 3, 4, 5, 6, 9]);
const TIPOS_PAGO = new Set([...Array.from({ length: 21 }, (_, i) => i + 1), 99]);
const TARJETAS = new Set([1, 2, 3, 4, 5, 6, 99]);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const blank = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);

/** xmlgen's number check: a JSON number or a decimal string, no exponent, at most `places` decimals. */
function amountProblem(value: unknown, places = 8): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return 'debe ser un número mayor o igual a cero';
    value = String(value);
  }
  if (typeof value !== 'string' || !DECIMAL.test(value.trim())) return 'debe ser un número (p. ej. "150000" o 150000)';
  const decimals = value.trim().split('.')[1]?.length ?? 0;
  if (decimals > places) return `no puede contener más de ${places} decimales`;
  return undefined;
}

const asNumber = (value: unknown): number => (typeof value === 'number' ? value : Number(String(value).trim()));

/**
 * Every problem of one document, in xmlgen's order and wording (its first `errorLimit` messages are
 * what the API answers). An empty list means the document can be generated.
 */
export function validateDe(data: unknown, options: ValidateOptions = {}): WireIssue[] {
  const issues: WireIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });
  if (!isObject(data)) {
    add([], 'El documento debe ser un objeto JSON con los datos del DE (data)');
    return issues;
  }

  const tipo = data.tipoDocumento;
  if (!isInt(tipo) || !(tipo in TIPO_DOCUMENTO_NAMES)) {
    add(['tipoDocumento'], `Tipo de Documento '${String(tipo)}' en data.tipoDocumento no válido. Valores: 1, 5, 6`);
  } else if (!(tipo in KIND_BY_TIPO)) {
    add(['tipoDocumento'], `Tipo de Documento ${tipo} (${TIPO_DOCUMENTO_NAMES[tipo]}) en data.tipoDocumento no está habilitado en esta cuenta: solo 1, 5 y 6`);
  } else if (options.kind && TIPO_DOCUMENTO[options.kind] !== tipo) {
    add(['tipoDocumento'], `data.tipoDocumento debe ser ${TIPO_DOCUMENTO[options.kind]} (${TIPO_DOCUMENTO_NAMES[TIPO_DOCUMENTO[options.kind]]}) para un documento ${options.kind}`);
  }

  digits(data, 'establecimiento', 3, 'el Establecimiento', add);
  digits(data, 'punto', 3, 'el Punto de expedición', add);
  digits(data, 'numero', 7, 'el Número de documento', add);
  if (data.codigoSeguridadAleatorio !== undefined && !/^\d{1,9}$/.test(String(data.codigoSeguridadAleatorio))) {
    add(['codigoSeguridadAleatorio'], 'El Código de Seguridad en data.codigoSeguridadAleatorio debe tener de 1 a 9 dígitos');
  }
  if (data.cdc !== undefined && !isValidCdc(data.cdc)) {
    add(['cdc'], 'El CDC en data.cdc debe tener 44 dígitos y su dígito verificador correcto');
  }

  if (blank(data.fecha) || typeof data.fecha !== 'string') {
    add(['fecha'], 'Debe especificar la Fecha de emisión en data.fecha, formato YYYY-MM-DDTHH:mm:ss');
  } else if (!(LOCAL_DATETIME.test(data.fecha) || (options.fecha === 'offset' && OFFSET_DATETIME.test(data.fecha)))) {
    add(['fecha'], `La Fecha de emisión en data.fecha debe tener el formato YYYY-MM-DDTHH:mm:ss (hora local de Paraguay)${options.fecha === 'offset' ? ' o ser un instante ISO con su desfase UTC' : ''}`);
  }
  if (data.cdc !== undefined && isValidCdc(data.cdc)) cdcAgrees(data, add);

  if (data.tipoEmision !== undefined && data.tipoEmision !== 1 && data.tipoEmision !== 2) {
    add(['tipoEmision'], 'Tipo de Emisión en data.tipoEmision no válido. Valores: 1-Normal, 2-Contingencia');
  }
  if (data.tipoTransaccion !== undefined && !(isInt(data.tipoTransaccion) && data.tipoTransaccion >= 1 && data.tipoTransaccion <= 13)) {
    add(['tipoTransaccion'], 'Tipo de Transacción en data.tipoTransaccion no válido. Valores: 1 a 13');
  }
  if (!isInt(data.tipoImpuesto) || data.tipoImpuesto < 1 || data.tipoImpuesto > 5) {
    add(['tipoImpuesto'], 'Tipo de Impuesto en data.tipoImpuesto no válido. Valores: 1-IVA, 2-ISC, 3-Renta, 4-Ninguno, 5-IVA-Renta');
  }
  const moneda = data.moneda ?? 'PYG';
  if (typeof moneda !== 'string' || !/^[A-Z]{3}$/.test(moneda)) {
    add(['moneda'], 'Moneda en data.moneda no válida: un código ISO 4217 de 3 letras, p. ej. PYG');
  } else if (moneda !== 'PYG') {
    const condicionTipoCambio = data.condicionTipoCambio ?? 1;
    if (condicionTipoCambio !== 1 && condicionTipoCambio !== 2) {
      add(['condicionTipoCambio'], 'Condición del Tipo de Cambio en data.condicionTipoCambio no válida. Valores: 1-Global, 2-Por ítem');
    } else if (condicionTipoCambio === 1 && (blank(data.cambio) || amountProblem(data.cambio) || asNumber(data.cambio) <= 0)) {
      add(['cambio'], 'Debe especificar el valor del Cambio en data.cambio cuando moneda != PYG y la Cotización es Global');
    }
  }
  for (const key of ['descuentoGlobal', 'anticipoGlobal'] as const) {
    if (data[key] !== undefined) {
      const problem = amountProblem(data[key]);
      if (problem) add([key], `data.${key} ${problem}`);
    }
  }

  cliente(data, options, add);

  if (tipo === 1) {
    if (!isObject(data.factura)) add(['factura'], 'Debe indicar los datos especificos de la Factura en data.factura');
    else if (!PRESENCIAS.has(data.factura.presencia as number)) {
      add(['factura', 'presencia'], `Indicador de Presencia '${String(data.factura.presencia)}' en data.factura.presencia no encontrado. Valores: 1, 2, 3, 4, 5, 6, 9`);
    }
    condicion(data, add);
  }
  if (tipo === 5 || tipo === 6) {
    const nota = data.notaCreditoDebito;
    if (!isObject(nota) || blank(nota.motivo)) {
      add(['notaCreditoDebito', 'motivo'], 'Debe completar el motivo para la nota de crédito/débito en data.notaCreditoDebito.motivo');
    } else if (!(isInt(nota.motivo) && nota.motivo >= 1 && nota.motivo <= 8)) {
      add(['notaCreditoDebito', 'motivo'], `Motivo de la Nota de Crédito/Débito '${String(nota.motivo)}' en data.notaCreditoDebito.motivo no encontrado. Valores: 1 a 8`);
    }
    if (blank(data.documentoAsociado) || (Array.isArray(data.documentoAsociado) && data.documentoAsociado.length === 0)) {
      add(['documentoAsociado'], `Documento asociado es obligatorio para el tipo de documento electrónico (${tipo}) seleccionado`);
    }
  }
  if (data.documentoAsociado !== undefined && !blank(data.documentoAsociado)) {
    const list = Array.isArray(data.documentoAsociado) ? data.documentoAsociado : [data.documentoAsociado];
    list.forEach((entry, i) => documentoAsociado(entry, Array.isArray(data.documentoAsociado) ? ['documentoAsociado', i] : ['documentoAsociado'], add));
  }

  const itemsOk = items(data, add);
  if (data.totalesEsperados !== undefined) totales(data, itemsOk && issues.length === 0, options, add);
  return issues;
}

function digits(data: Record<string, unknown>, key: string, width: number, label: string, add: (p: (string | number)[], m: string) => void): void {
  const value = data[key];
  if (blank(value)) add([key], `Debe especificar ${label} en data.${key}`);
  else if (!new RegExp(`^\\d{1,${width}}$`).test(String(value)) || Number(value) < 1) {
    add([key], `${label.replace(/^el/, 'El')} en data.${key} debe ser un número de 1 a ${width} dígitos, mayor que cero`);
  }
}

/** xmlgen: a CDC passed in is reused, and must agree with the data it identifies. */
function cdcAgrees(data: Record<string, unknown>, add: (p: (string | number)[], m: string) => void): void {
  const cdc = data.cdc as string;
  const pad = (value: unknown, width: number) => String(value ?? '').padStart(width, '0');
  if (Number(cdc.slice(0, 2)) !== data.tipoDocumento) add(['tipoDocumento'], 'El Tipo de Documento en data.tipoDocumento debe coincidir con el CDC re-utilizado');
  if (pad(data.establecimiento, 3) !== cdc.slice(11, 14)) add(['establecimiento'], 'El Establecimiento en data.establecimiento debe coincidir con el CDC reutilizado');
  if (pad(data.punto, 3) !== cdc.slice(14, 17)) add(['punto'], 'El Punto en data.punto debe coincidir con el CDC reutilizado');
  if (pad(data.numero, 7) !== cdc.slice(17, 24)) add(['numero'], 'El Numero de Documento en data.numero debe coincidir con el CDC reutilizado');
  const fecha = String(data.fecha ?? '');
  if (`${fecha.slice(0, 4)}${fecha.slice(5, 7)}${fecha.slice(8, 10)}` !== cdc.slice(25, 33)) add(['fecha'], 'La fecha en data.fecha debe coincidir con el CDC reutilizado');
  if (Number(data.tipoEmision ?? 1) !== Number(cdc.slice(33, 34))) add(['tipoEmision'], 'El Tipo de Emisión en data.tipoEmision debe coincidir con el CDC reutilizado');
}

function cliente(data: Record<string, unknown>, options: ValidateOptions, add: (p: (string | number)[], m: string) => void): void {
  const c = data.cliente;
  if (!isObject(c)) {
    add(['cliente'], 'Debe especificar los datos del Cliente en data.cliente');
    return;
  }
  const at = (key: string): (string | number)[] => ['cliente', key];
  if (c.contribuyente !== true && c.contribuyente !== false) add(at('contribuyente'), 'data.cliente.contribuyente debe ser true|false');
  const operacion = c.tipoOperacion;
  if (!isInt(operacion) || operacion < 1 || operacion > 4) {
    add(at('tipoOperacion'), 'Tipo de Operación del Cliente en data.cliente.tipoOperacion es requerido: 1-B2B, 2-B2C, 3-B2G, 4-B2F');
  }
  if (c.contribuyente === true) {
    if (blank(c.ruc) || typeof c.ruc !== 'string') add(at('ruc'), 'Debe proporcionar el RUC en data.cliente.ruc');
    else {
      const [number = '', dv, ...rest] = c.ruc.trim().split('-');
      if (dv === undefined || rest.length > 0) add(at('ruc'), 'RUC debe contener dígito verificador en data.cliente.ruc (p. ej. 80069563-1)');
      else if (!/^\d$/.test(dv)) add(at('ruc'), 'La parte del DV del RUC del Cliente en data.cliente.ruc debe ser numérico, de 1 dígito');
      if (!(number.length >= 3 && number.length <= 8)) add(at('ruc'), 'La parte del RUC en data.cliente.ruc debe contener de 3 a 8 caracteres');
      else if (options.checkRucDigits && dv !== undefined && /^\d$/.test(dv) && /^[0-9A-Za-z]+$/.test(number) && rucCheckDigit(number) !== dv) {
        add(at('ruc'), `El dígito verificador del RUC en data.cliente.ruc no corresponde (debe ser ${rucCheckDigit(number)}): verifique el RUC del comprador`);
      }
    }
    if (c.tipoContribuyente !== 1 && c.tipoContribuyente !== 2) {
      add(at('tipoContribuyente'), 'Debe proporcionar el Tipo de Contribuyente en data.cliente.tipoContribuyente: 1-Persona Física, 2-Persona Jurídica');
    }
  }
  if (blank(c.razonSocial)) add(at('razonSocial'), 'La razon social del receptor en data.cliente.razonSocial no puede ser vacio');
  else if (!(String(c.razonSocial).length >= 4 && String(c.razonSocial).length <= 250)) {
    add(at('razonSocial'), 'La razon Social del Cliente en data.cliente.razonSocial debe tener de 4 a 250 caracteres');
  }
  if (typeof c.pais !== 'string' || !/^[A-Z]{3}$/.test(c.pais)) add(at('pais'), 'Pais del Cliente en data.cliente.pais no encontrado: un código de 3 letras, p. ej. PRY');
  if (c.contribuyente === false && operacion !== 4) {
    if (blank(c.documentoTipo)) add(at('documentoTipo'), 'Debe informar el Tipo de Documento del Cliente en data.cliente.documentoTipo');
    else if (!TIPOS_DOCUMENTO_RECEPTOR.has(c.documentoTipo as number)) {
      add(at('documentoTipo'), 'Tipo de Documento del Cliente en data.cliente.documentoTipo no válido. Valores: 1, 2, 3, 4, 5, 6, 9');
    } else if (c.documentoTipo === 9 && blank(c.documentoTipoDescripcion)) {
      add(at('documentoTipoDescripcion'), 'Debe especificar la Descripción para el tipo de Documento en data.cliente.documentoTipoDescripcion para documentoTipo=9');
    }
    if (c.documentoNumero === undefined) add(at('documentoNumero'), 'Debe informar el número de documento en data.cliente.documentoNumero');
    else if (/[./]/.test(String(c.documentoNumero))) add(at('documentoNumero'), 'El valor en data.cliente.documentoNumero no es válido: sin puntos ni barras');
  }
  if (c.contribuyente === false && isInt(operacion) && operacion !== 2 && operacion !== 4) {
    add(at('tipoOperacion'), 'El tipo de Operación debe ser 2-B2C o 4-B2F para el Receptor "No Contribuyente"');
  }
  if (operacion === 4 && c.contribuyente === true) add(at('contribuyente'), 'La naturaleza del Receptor debe ser "No contribuyente" para el Tipo de Operación = 4-B2F');
  if (operacion === 4 && c.pais === 'PRY') add(at('pais'), 'El tipo de Operación = 4-B2F requiere un pais diferente a PRY');
  if (!blank(c.direccion)) {
    if (!(String(c.direccion).trim().length >= 1 && String(c.direccion).trim().length <= 255)) add(at('direccion'), 'La dirección del Receptor en data.cliente.direccion debe tener de 1 a 255 caracteres');
    if (blank(c.numeroCasa)) add(at('numeroCasa'), 'Debe informar el Número de casa del Receptor en data.cliente.numeroCasa');
    if (operacion !== 4) {
      for (const key of ['ciudad', 'distrito', 'departamento']) {
        if (blank(c[key])) add(at(key), `Obligatorio especificar ${key === 'ciudad' ? 'la Ciudad' : key === 'distrito' ? 'el Distrito' : 'el Departamento'} en data.cliente.${key} para Tipo de Operación != 4 (código de SIFEN)`);
      }
    }
  }
  if (!blank(c.numeroCasa) && !/^\d+$/.test(String(c.numeroCasa))) add(at('numeroCasa'), 'El Número de Casa en data.cliente.numeroCasa debe ser numérico');
}

function condicion(data: Record<string, unknown>, add: (p: (string | number)[], m: string) => void): void {
  const c = data.condicion;
  if (!isObject(c)) {
    add(['condicion'], 'Debe indicar los datos de la Condición de la Operación en data.condicion');
    return;
  }
  if (c.tipo !== 1 && c.tipo !== 2) add(['condicion', 'tipo'], `Condición de la Operación '${String(c.tipo)}' en data.condicion.tipo no encontrado. Valores: 1-Contado, 2-Crédito`);
  const entregas = c.entregas;
  if (c.tipo === 1 && !(Array.isArray(entregas) && entregas.length > 0)) {
    add(['condicion', 'entregas'], 'El Tipo de Condición es 1 en data.condicion.tipo pero no se encontraron entregas en data.condicion.entregas');
  }
  if (Array.isArray(entregas)) {
    entregas.forEach((entrega, i) => {
      const at = (...keys: string[]) => ['condicion', 'entregas', i, ...keys];
      if (!isObject(entrega)) {
        add(at(), `data.condicion.entregas[${i}] debe ser un objeto`);
        return;
      }
      if (!TIPOS_PAGO.has(entrega.tipo as number)) add(at('tipo'), `Condición de Tipo de Pago '${String(entrega.tipo)}' en data.condicion.entregas[${i}].tipo no encontrado. Valores: 1 a 21, 99`);
      if (entrega.tipo === 99 && !(typeof entrega.tipoDescripcion === 'string' && entrega.tipoDescripcion.length >= 4 && entrega.tipoDescripcion.length <= 30)) {
        add(at('tipoDescripcion'), `Es obligatorio especificar la Descripción (4 a 30 caracteres) en data.condicion.entregas[${i}].tipoDescripcion para el tipo=99`);
      }
      const problem = blank(entrega.monto) ? 'es obligatorio' : amountProblem(entrega.monto);
      if (problem) add(at('monto'), `El Monto en data.condicion.entregas[${i}].monto ${problem}`);
      if (typeof entrega.moneda !== 'string' || !/^[A-Z]{3}$/.test(entrega.moneda)) add(at('moneda'), `Moneda es obligatorio en data.condicion.entregas[${i}].moneda`);
      else if (entrega.moneda !== 'PYG' && blank(entrega.cambio)) {
        add(at('cambio'), `Debe informar la cotizacion del monto de la Entrega en data.condicion.entregas[${i}].cambio si la forma de Pago es diferente a PYG`);
      }
      if (entrega.tipo === 3 || entrega.tipo === 4) {
        const tarjeta = entrega.infoTarjeta;
        if (!isObject(tarjeta)) add(at('infoTarjeta'), `Debe informar los datos de la tarjeta en data.condicion.entregas[${i}].infoTarjeta si la forma de Pago es a Tarjeta`);
        else if (!TARJETAS.has(tarjeta.tipo as number)) add(at('infoTarjeta', 'tipo'), `Debe especificar el tipo de tarjeta en data.condicion.entregas[${i}].infoTarjeta.tipo: 1 a 6 o 99`);
        else if (tarjeta.tipoDescripcion !== undefined && !(String(tarjeta.tipoDescripcion).length >= 4 && String(tarjeta.tipoDescripcion).length <= 20)) {
          add(at('infoTarjeta', 'tipoDescripcion'), `data.condicion.entregas[${i}].infoTarjeta.tipoDescripcion debe tener de 4 a 20 caracteres`);
        }
      }
      if (entrega.tipo === 2) {
        const cheque = entrega.infoCheque;
        if (!isObject(cheque) || blank(cheque.numeroCheque) || blank(cheque.banco)) {
          add(at('infoCheque'), `Debe informar sobre el cheque (numeroCheque, banco) en data.condicion.entregas[${i}].infoCheque si la forma de Pago es 2-Cheques`);
        }
      }
    });
  }
  if (c.tipo === 2) {
    const credito = c.credito;
    if (!isObject(credito)) {
      add(['condicion', 'credito'], 'Fue especificado Condicion Tipo 2 (Crédito) pero el detalle de Crédito en data.condicion.credito es nulo');
    } else if (credito.tipo !== 1 && credito.tipo !== 2) {
      add(['condicion', 'credito', 'tipo'], 'El tipo de Crédito en data.condicion.credito.tipo es obligatorio: 1-Plazo, 2-Cuota');
    } else if (credito.tipo === 1 && !(typeof credito.plazo === 'string' && credito.plazo.length >= 2 && credito.plazo.length <= 15)) {
      add(['condicion', 'credito', 'plazo'], 'El tipo de Crédito en data.condicion.credito.tipo es 1 entonces data.condicion.credito.plazo es obligatorio (2 a 15 caracteres, p. ej. "30 días")');
    } else if (credito.tipo === 2 && !(isInt(credito.cuotas) && credito.cuotas > 0)) {
      add(['condicion', 'credito', 'cuotas'], 'El tipo de Crédito en data.condicion.credito.tipo es 2 entonces data.condicion.credito.cuotas es obligatorio');
    }
  }
}

function documentoAsociado(entry: unknown, path: (string | number)[], add: (p: (string | number)[], m: string) => void): void {
  const where = `data.${path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace('.[', '[')}`;
  if (!isObject(entry)) {
    add(path, `${where} debe ser un objeto con formato y los datos del documento asociado`);
    return;
  }
  if (entry.formato === 1) {
    if (typeof entry.cdc !== 'string' || entry.cdc.length !== 44) add([...path, 'cdc'], `Debe indicar el CDC asociado (44 dígitos) en ${where}.cdc`);
    else if (!isValidCdc(entry.cdc)) add([...path, 'cdc'], `El CDC asociado en ${where}.cdc no es válido: su dígito verificador no corresponde`);
  } else if (entry.formato === 2) {
    if (!/^\d{8}$/.test(String(entry.timbrado ?? ''))) add([...path, 'timbrado'], `Debe especificar el Timbrado (8 dígitos) del documento impreso en ${where}.timbrado`);
    for (const [key, width] of [['establecimiento', 3], ['punto', 3], ['numero', 7]] as const) {
      if (!new RegExp(`^\\d{1,${width}}$`).test(String(entry[key] ?? ''))) add([...path, key], `Debe especificar ${key} del documento impreso en ${where}.${key}`);
    }
    if (!(isInt(entry.tipoDocumentoImpreso) && entry.tipoDocumentoImpreso >= 1 && entry.tipoDocumentoImpreso <= 5)) add([...path, 'tipoDocumentoImpreso'], `Debe especificar el Tipo de Documento Impreso (1 a 5) en ${where}.tipoDocumentoImpreso`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(String(entry.fecha ?? ''))) add([...path, 'fecha'], `Debe especificar la fecha (YYYY-MM-DD) del documento impreso en ${where}.fecha`);
  } else if (entry.formato === 3) {
    if (entry.constanciaTipo !== 1 && entry.constanciaTipo !== 2) add([...path, 'constanciaTipo'], `Debe especificar el tipo de constancia (1 o 2) en ${where}.constanciaTipo`);
    if (!/^\d{11}$/.test(String(entry.constanciaNumero ?? ''))) add([...path, 'constanciaNumero'], `El número de constancia en ${where}.constanciaNumero debe tener 11 dígitos`);
    if (String(entry.constanciaControl ?? '').length !== 8) add([...path, 'constanciaControl'], `El código de control de la constancia en ${where}.constanciaControl debe tener 8 caracteres`);
  } else {
    add([...path, 'formato'], `Formato de Documento Asociado '${String(entry.formato)}' en ${where}.formato no encontrado. Valores: 1-Electrónico, 2-Impreso, 3-Constancia Electrónica`);
  }
}

/** Returns true when the items are sound enough to compute SIFEN's amounts from. */
function items(data: Record<string, unknown>, add: (p: (string | number)[], m: string) => void): boolean {
  const list = data.items;
  if (!Array.isArray(list) || list.length === 0) {
    add(['items'], 'Debe especificar los items del documento en data.items');
    return false;
  }
  const before = list.length;
  let ok = true;
  list.forEach((item, i) => {
    const at = (key: string) => ['items', i, key];
    const fail = (key: string, message: string) => {
      ok = false;
      add(at(key), message);
    };
    if (!isObject(item)) {
      ok = false;
      add(['items', i], `data.items[${i}] debe ser un objeto`);
      return;
    }
    const codigo = String(item.codigo ?? '');
    if (blank(item.codigo) || codigo.length > 50) fail('codigo', `El código del item en data.items[${i}].codigo debe tener una longitud de 1 a 50 caracteres`);
    if (blank(item.descripcion)) fail('descripcion', `La descripción del item en data.items[${i}].descripcion no puede ser null`);
    else if (String(item.descripcion).length > 2000) fail('descripcion', `La descripción del item en data.items[${i}].descripcion debe tener una longitud de 1 a 2000 caracteres`);
    else if (TAGS.test(String(item.descripcion))) fail('descripcion', `La descripción del item en data.items[${i}].descripcion contiene valores inválidos`);
    if (item.unidadMedida !== undefined && !(isInt(item.unidadMedida) && item.unidadMedida > 0)) fail('unidadMedida', `Unidad de Medida en data.items[${i}].unidadMedida no encontrado (77 = Unidad)`);

    const cantidad = blank(item.cantidad) ? 'es obligatoria' : amountProblem(item.cantidad);
    if (cantidad) fail('cantidad', `La Cantidad del item en data.items[${i}].cantidad ${cantidad}`);
    else if (asNumber(item.cantidad) <= 0) fail('cantidad', `La cantidad del item en data.items[${i}].cantidad debe ser mayor a cero`);
    const precio = blank(item.precioUnitario) ? 'es obligatorio' : amountProblem(item.precioUnitario);
    if (precio) fail('precioUnitario', `El Precio Unitario del item en data.items[${i}].precioUnitario ${precio}`);
    if (item.descuento !== undefined) {
      const problem = amountProblem(item.descuento);
      if (problem) fail('descuento', `El Descuento del item en data.items[${i}].descuento ${problem}`);
      else if (!precio && asNumber(item.descuento) > asNumber(item.precioUnitario)) fail('descuento', `Descuento del Producto en data.items[${i}].descuento supera al Precio Unitario`);
    }
    if (item.anticipo !== undefined) {
      const problem = amountProblem(item.anticipo);
      if (problem) fail('anticipo', `El Anticipo del item en data.items[${i}].anticipo ${problem}`);
    }

    const ivaTipo = item.ivaTipo;
    const proportion = item.ivaProporcion ?? item.ivaBase;
    const iva = item.iva;
    if (!(isInt(ivaTipo) && ivaTipo >= 1 && ivaTipo <= 4)) fail('ivaTipo', `Tipo de IVA '${String(ivaTipo)}' en data.items[${i}].ivaTipo no encontrado. Valores: 1-Gravado IVA, 2-Exonerado, 3-Exento, 4-Gravado parcial`);
    const proportionNumber = proportion === undefined || amountProblem(proportion, 8) ? NaN : asNumber(proportion);
    if (!(proportionNumber >= 0 && proportionNumber <= 100)) fail('ivaProporcion', `Valor invalido "ivaProporcion" proporcionado en data.items[${i}].ivaProporcion: de 0 a 100 (100 para ivaTipo 1)`);
    else if (ivaTipo === 1 && proportionNumber !== 100) fail('ivaProporcion', `Valor de "ivaProporcion"=${proportionNumber} debe ser igual a 100 para "ivaTipo" = 1 en data.items[${i}].ivaProporcion`);
    else if ((ivaTipo === 2 || ivaTipo === 3) && proportionNumber !== 0) fail('ivaProporcion', `Valor de "ivaProporcion"=${proportionNumber} debe ser igual a 0 para "ivaTipo" = ${ivaTipo} en data.items[${i}].ivaProporcion`);
    const ivaNumber = typeof iva === 'number' || typeof iva === 'string' ? asNumber(iva) : NaN;
    if (!(ivaNumber === 0 || ivaNumber === 5 || ivaNumber === 10)) fail('iva', `Valor invalido "iva"=${String(iva)} proporcionado en data.items[${i}].iva: 0, 5 o 10`);
    else if ((ivaTipo === 2 || ivaTipo === 3) && ivaNumber !== 0) fail('iva', `Valor de "iva"=${ivaNumber} debe ser igual a 0 para "ivaTipo" = ${ivaTipo} en data.items[${i}].iva`);
    else if (ivaNumber === 0 && (ivaTipo === 1 || ivaTipo === 4)) fail('iva', `"Iva" = 0 no se admite para "ivaTipo"=${ivaTipo} proporcionado en data.items[${i}].iva`);
  });
  return ok && list.length === before;
}

function totales(data: Record<string, unknown>, computable: boolean, options: ValidateOptions, add: (p: (string | number)[], m: string) => void): void {
  const expected = data.totalesEsperados;
  if (!isObject(expected)) {
    add(['totalesEsperados'], 'data.totalesEsperados debe ser un objeto con totales de SIFEN (p. ej. { "dTotOpe": "150000" })');
    return;
  }
  let sound = true;
  for (const [key, value] of Object.entries(expected)) {
    if (!(SIFEN_TOTAL_FIELDS as readonly string[]).includes(key)) {
      sound = false;
      add(['totalesEsperados', key], `data.totalesEsperados.${key} no es un total de SIFEN. Valores: ${SIFEN_TOTAL_FIELDS.join(', ')}`);
      continue;
    }
    const problem = amountProblem(value);
    if (problem) {
      sound = false;
      add(['totalesEsperados', key], `data.totalesEsperados.${key} ${problem}`);
    }
  }
  if (!sound || !computable) return;
  const amounts = computeSifenAmounts(data as unknown as FacturapiDe, { redondeoSedeco: options.redondeoSedeco ?? true });
  for (const mismatch of totalsMismatches(amounts, expected as Record<string, Amount>)) {
    add(
      ['totalesEsperados', mismatch.field],
      `data.totalesEsperados.${mismatch.field} informa ${mismatch.expected}, pero según las fórmulas de SIFEN (MT v150, NT13) los ítems dan ${mismatch.computed}`,
    );
  }
}

// ─── zod schemas ───────────────────────────────────────────────────────────────────────────────

/** Local wall time of an ISO instant with offset: `2026-11-22T10:15:04-03:00` → `2026-11-22T10:15:04`. */
export function localFecha(fecha: string): string {
  const match = OFFSET_DATETIME.exec(fecha);
  return match ? match[1]! : fecha;
}

export interface WireSchemaContext {
  /** Extra checks against the account (establecimiento/punto of the numbering series, number range). */
  account?: (document: FacturapiDe) => WireIssue[];
  redondeoSedeco?: boolean;
}

/**
 * The schema Puente validates a mapped document with before sending. It accepts `fecha` with an
 * offset and writes it as SIFEN's local time; everything else passes through unchanged.
 */
export function facturapiWireSchema(kind: FacturapiDocumentKind, context: WireSchemaContext = {}) {
  return z
    .custom<FacturapiDe>(() => true)
    .superRefine((value, ctx) => {
      const issues = validateDe(value, {
        kind,
        fecha: 'offset',
        checkRucDigits: true,
        ...(context.redondeoSedeco !== undefined ? { redondeoSedeco: context.redondeoSedeco } : {}),
      });
      if (issues.length === 0 && context.account) issues.push(...context.account(value));
      for (const issue of issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    })
    .transform((value) => ({ ...value, fecha: localFecha(value.fecha) }));
}

export const facturapiWireSchemas = {
  invoice: facturapiWireSchema('invoice'),
  credit_note: facturapiWireSchema('credit_note'),
  debit_note: facturapiWireSchema('debit_note'),
};

/** The CDC a wire document will get, given the issuer's data and the security code. */
export function cdcOfWire(
  wire: FacturapiDe,
  issuer: { ruc: string; dv: string; tipoContribuyente: number },
  codigoSeguridad: string | number,
): string {
  return computeCdc({
    tipoDocumento: wire.tipoDocumento,
    ruc: issuer.ruc,
    dv: issuer.dv,
    establecimiento: wire.establecimiento,
    punto: wire.punto,
    numero: wire.numero,
    tipoContribuyente: issuer.tipoContribuyente,
    fecha: localFecha(wire.fecha),
    tipoEmision: wire.tipoEmision ?? 1,
    codigoSeguridad,
  });
}
