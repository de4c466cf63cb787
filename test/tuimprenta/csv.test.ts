import { describe, expect, it } from 'vitest';
import {
  INVOICE_CSV_COLUMNS,
  CsvSyntaxError,
  csvToInvoices,
  formatCsv,
  invoicesToCsv,
  parseCsv,
} from '../../connectors/tuimprenta/csv.js';
import { exampleCreditNote, exampleInvoice } from '../../connectors/tuimprenta/sandbox/examples.js';
import { TuimprentaInvoiceCreate } from '../../connectors/tuimprenta/wire.js';

describe('RFC 4180 CSV', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF or LF, and a BOM', () => {
    const text = '\uFEFFa,b,c\r\n"x, y","say ""hola""","two\nlines"\n1,,3';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x, y', 'say "hola"', 'two\nlines'] },
      { line: 4, fields: ['1', '', '3'] },
    ]);
  });

  it('says on which line a quote is wrong', () => {
    expect(() => parseCsv('a,b\n"open,2\n')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a,b\n"x"y,2\n')).toThrow(/line 2/);
  });

  it('writes what it reads', () => {
    const rows = [['a', 'b'], ['x, "y"', 'línea\r\nnueva']];
    expect(parseCsv(formatCsv(rows)).map((r) => r.fields)).toEqual(rows);
  });
});

describe('batch CSV columns', () => {
  it('round-trips invoices and notes, one row per line, totals added up by the reader', () => {
    const invoice = exampleInvoice();
    const note = exampleCreditNote({ control_number: '00-00000001', number: '00000001', issue_date: '2026-11-20' });
    const csv = invoicesToCsv([{ invoice, idempotencyKey: 'key-1' }, { invoice: note }]);
    expect(csv.split('\r\n')[0]).toBe(INVOICE_CSV_COLUMNS.join(','));
    expect(csv.trim().split('\r\n')).toHaveLength(1 + invoice.items.length + note.items.length);
    const { entries, problems } = csvToInvoices(csv);
    expect(problems).toEqual([]);
    expect(entries.map((e) => [e.line, e.invoiceRef, e.idempotencyKey])).toEqual([
      [2, '1', 'key-1'],
      [4, '2', undefined],
    ]);
    expect(TuimprentaInvoiceCreate.parse(entries[0]!.body)).toEqual(invoice);
    expect(TuimprentaInvoiceCreate.parse(entries[1]!.body)).toEqual(note);
  });

  it('reports header problems: unknown, repeated and missing columns', () => {
    const { problems } = csvToInvoices('invoice_ref,colour,colour\n1,red,red\n');
    expect(problems.map((p) => p.message)).toEqual(
      expect.arrayContaining(['unknown column "colour"', 'column "colour" appears twice', 'required column "document_type" is missing']),
    );
  });

  it('reports ragged rows, split invoices and invoice columns that differ between lines', () => {
    const good = invoicesToCsv([{ invoice: exampleInvoice() }]).trim().split('\r\n');
    const header = good[0]!;
    const [first, second] = [good[1]!, good[2]!];
    expect(csvToInvoices([header, `${first},extra`].join('\n')).problems[0]).toMatchObject({ line: 2, message: expect.stringMatching(/fields; the header has/) });
    const otherRef = second.replace(/^1,/, '2,');
    expect(csvToInvoices([header, first, otherRef, first].join('\n')).problems[0]).toMatchObject({ line: 4, column: 'invoice_ref' });
    const otherSeries = second.replace(',A,', ',B,');
    expect(csvToInvoices([header, first, otherSeries].join('\n')).problems[0]).toMatchObject({ line: 3, column: 'series' });
  });

  it('leaves totals out when a line amount is malformed, so validation names the line', () => {
    const rows = invoicesToCsv([{ invoice: exampleInvoice() }]).replace(',200.00,16.00,', ',doscientos,16.00,');
    const { entries } = csvToInvoices(rows);
    const parsed = TuimprentaInvoiceCreate.safeParse(entries[0]!.body);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['items.0.amount', 'totals']));
  });
});
