/** FacturApi (Paraguay, SIFEN): target connector, client, config, CDC, SIFEN tax math, wire schemas. */
export { createFacturapiTarget, type FacturapiTarget, type FacturapiTargetDeps, type FacturapiReceipt, type CancelRequest, type VoidNumbersRequest } from './target.js';
export { FacturapiClient, FacturapiLoteRefusedError, retryAfterMsFrom, type FacturapiClientOptions, type FacturapiLogger, type InutilizacionRequest, type RucInfo } from './client.js';
export { FacturapiTargetConfig, parseFacturapiTargetConfig, numberingSeries, issuerOf, type FacturapiTargetConfigInput, type NumberingSeries } from './config.js';
export { computeCdc, isValidCdc, parseCdc, securityCodeFor, fiscalNumberOf, CdcError, type CdcFields, type ParsedCdc } from './cdc.js';
export { computeSifenAmounts, formatTotals, totalsMismatches, SIFEN_TOTAL_FIELDS, type SifenAmounts, type SifenTotals, type SifenDocumentInput } from './tax.js';
export { validateDe, facturapiWireSchema, facturapiWireSchemas, cdcOfWire, localFecha, TIPO_DOCUMENTO, KIND_BY_TIPO, type FacturapiDe, type FacturapiDocumentKind, type WireIssue } from './wire.js';
export { ROUTES, DE_ESTADOS } from './routes.js';
export { SIFEN, LOTE_MAX_DOCUMENTS, LOTE_MAX_BYTES } from './codes.js';
