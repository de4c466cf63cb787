/**
 * Ready-made FacturApi documents for the demo account, as Puente's mappings produce them (with
 * `fecha` already in SIFEN's local form): used by tests and handy for trying the sandbox by hand.
 */
import type { FacturapiDe } from '../wire.js';

export function exampleFactura(numero: number | string, overrides: Partial<FacturapiDe> = {}): FacturapiDe {
  return {
    tipoDocumento: 1,
    establecimiento: '001',
    punto: '001',
    numero: String(numero),
    fecha: '2026-11-22T10:15:04',
    tipoEmision: 1,
    tipoTransaccion: 1,
    tipoImpuesto: 1,
    moneda: 'PYG',
    cliente: { contribuyente: true, ruc: '80069563-1', tipoContribuyente: 2, razonSocial: 'TIPS S.A. TECNOLOGIA Y SERVICIOS', tipoOperacion: 1, pais: 'PRY' },
    factura: { presencia: 2 },
    condicion: { tipo: 1, entregas: [{ tipo: 1, monto: '178500', moneda: 'PYG' }] },
    items: [
      { codigo: 'YERBA-KURUPI-1KG', descripcion: 'Yerba mate Kurupí 1 kg', unidadMedida: 77, cantidad: '1', precioUnitario: '28500', ivaTipo: 1, ivaProporcion: '100', iva: '5' },
      { codigo: 'TERMO-INOX-1L', descripcion: 'Termo acero inoxidable 1 L', unidadMedida: 77, cantidad: '1', precioUnitario: '150000', ivaTipo: 1, ivaProporcion: '100', iva: '10' },
    ],
    totalesEsperados: { dTotOpe: '178500' },
    ...overrides,
  };
}

export function exampleNota(tipoDocumento: 5 | 6, numero: number | string, cdcAsociado: string, overrides: Partial<FacturapiDe> = {}): FacturapiDe {
  return {
    tipoDocumento,
    establecimiento: '001',
    punto: '001',
    numero: String(numero),
    fecha: '2026-11-23T09:00:00',
    tipoEmision: 1,
    tipoImpuesto: 1,
    moneda: 'PYG',
    cliente: { contribuyente: true, ruc: '80069563-1', tipoContribuyente: 2, razonSocial: 'TIPS S.A. TECNOLOGIA Y SERVICIOS', tipoOperacion: 1, pais: 'PRY' },
    notaCreditoDebito: { motivo: tipoDocumento === 5 ? 2 : 8 },
    documentoAsociado: { formato: 1, cdc: cdcAsociado },
    items: [{ codigo: 'YERBA-KURUPI-1KG', descripcion: 'Yerba mate Kurupí 1 kg', unidadMedida: 77, cantidad: '1', precioUnitario: '28500', ivaTipo: 1, ivaProporcion: '100', iva: '5' }],
    totalesEsperados: { dTotOpe: '28500' },
    ...overrides,
  };
}
