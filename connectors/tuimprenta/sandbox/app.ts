/**
 * The tuimprenta.digital sandbox as an express app: the documented `/v1` surface (ping, invoices with
 * Idempotency-Key, cancel, PDF/XML, cursor lists, JSON and CSV batches with their results), the
 * 60-per-minute limit, signed webhooks, and `/_sandbox/*` endpoints for tests (documents, faults,
 * reset, webhook URL and deliveries).
 */
import { addFaultRoutes, CHAOS_FAULTS_EXPECTED, takeDropAfterAccept } from '../../../src/target-kit/sandbox-routes.js';
import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { RESULT_CSV_COLUMNS, csvToInvoices, formatCsv } from '../csv.js';
import { documentLines, documentPdf, documentXml } from './artifacts.js';
import {
  ApiFailure,
  assignControlNumber,
  cancelDocument,
  checkDocument,
  conflict,
  createDocument,
  invalidRequest,
  newId,
  notFound,
} from './fiscal.js';
import {
  FaultsInput,
  RateLimiter,
  accountOf,
  authenticate,
  injectFaults,
  noFaults,
  parseMultipart,
  sendError,
  sendFailure,
  throttle,
  type SandboxFaults,
} from './http.js';
import {
  SandboxStore,
  type ApiErrorShape,
  type BatchEntry,
  type BatchRowResult,
  type IdempotencyEntry,
  type SandboxAccount,
  type SandboxBatch,
  type StoredInvoice,
} from './state.js';
import { WebhookSender, type WebhookSenderOptions } from './webhooks.js';

export interface TuimprentaSandboxOptions {
  dataFile?: string;
  /** Start with the demo account (default true). */
  seed?: boolean;
  /** 60 by default, as documented. */
  requestsPerMinute?: number;
  /** Length of the rate-limit window (default 60 000 ms); shorter only to test clients quickly. */
  rateLimitWindowMs?: number;
  /** Delay before a single document gets its control number (default 0: at once). */
  controlNumberDelayMs?: number;
  /** How long a batch stays queued (default 200 ms) and then processing (default 300 ms). */
  batchQueueMs?: number;
  batchProcessMs?: number;
  /** How long an Idempotency-Key is remembered (default 24 h). */
  idempotencyRetentionMs?: number;
  /** Where the demo account's events go (also settable with PUT /_sandbox/webhook). */
  webhookUrl?: string;
  webhooks?: WebhookSenderOptions;
  /** Largest body accepted (default 5mb). */
  bodyLimit?: string;
  /** How often due work (control numbers, batches) is done without a request (default 100 ms). */
  tickMs?: number;
  now?: () => Date;
  random?: () => number;
}

export interface TuimprentaSandbox {
  app: express.Express;
  state: SandboxStore;
  faults: SandboxFaults;
  webhooks: WebhookSender;
  /** The public origin links and webhooks use; set by startTuimprentaSandbox once listening. */
  setOrigin(origin: string): void;
  /** Does what is due now (control numbers, batches); the ticker calls it too. */
  advance(): void;
  reset(): void;
  close(): void;
}

const DAY_MS = 24 * 3_600_000;
const MAX_BATCH_INVOICES = 100;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const BatchJsonBody = z.strictObject({
  invoices: z
    .array(z.record(z.string(), z.unknown(), { error: 'each entry of invoices must be an invoice object' }), { error: 'invoices must be a list of invoice objects' })
    .min(1, { error: 'invoices must hold at least one invoice' })
    .max(MAX_BATCH_INVOICES, { error: `invoices must hold at most ${MAX_BATCH_INVOICES} invoices; split the batch` }),
  callback_url: z.url({ error: 'callback_url must be an http(s) URL' }).optional(),
});

const CancelBody = z.strictObject({ reason: z.string().min(1).max(500, { error: 'reason must be at most 500 characters' }).optional() });

/** Canonical JSON (keys sorted), so the same body hashes the same however its keys were ordered. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function bodyHash(body: unknown): string {
  return createHash('sha256').update(canonical(body)).digest('hex');
}

const CURSOR_PREFIX = 'cur_';
function cursorFor(afterId: string | null): string {
  return CURSOR_PREFIX + Buffer.from(afterId ?? '', 'utf8').toString('base64url');
}

export function createTuimprentaSandbox(options: TuimprentaSandboxOptions = {}): TuimprentaSandbox {
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const state = new SandboxStore({
    ...(options.dataFile ? { dataFile: options.dataFile } : {}),
    seed: options.seed ?? true,
    webhookUrl: options.webhookUrl ?? null,
  });
  const faults = noFaults();
  const limiter = new RateLimiter(options.requestsPerMinute ?? 60, () => now().getTime(), options.rateLimitWindowMs ?? 60_000);
  const webhooks = new WebhookSender(options.webhooks);
  const retentionMs = options.idempotencyRetentionMs ?? DAY_MS;
  const controlDelayMs = options.controlNumberDelayMs ?? 0;
  const queueMs = options.batchQueueMs ?? 200;
  const processMs = options.batchProcessMs ?? 300;
  let origin: string | undefined;

  // ─── resources ─────────────────────────────────────────────────────────────────────────────

  function originOf(req?: Request): string {
    if (origin) return origin;
    if (req) return `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`;
    return 'http://127.0.0.1';
  }

  function invoiceJson(invoice: StoredInvoice, base: string) {
    const body = invoice.body as Record<string, unknown>;
    const related = invoice.related_invoice_id ? state.data.invoices.find((i) => i.id === invoice.related_invoice_id) : undefined;
    const issued = invoice.control_number !== null;
    return {
      id: invoice.id,
      object: 'invoice',
      document_type: invoice.document_type,
      series: invoice.series,
      number: invoice.number,
      control_number: invoice.control_number,
      status: invoice.status,
      issued_at: invoice.issued_at,
      created_at: invoice.created_at,
      currency: body.currency,
      exchange_rate: body.exchange_rate ?? null,
      customer: body.customer,
      items: body.items,
      totals: body.totals,
      payment: body.payment,
      igtf: invoice.igtf,
      grand_total: invoice.grand_total,
      totals_ves: invoice.totals_ves,
      related_invoice: related
        ? { id: related.id, control_number: related.control_number, number: related.number, issue_date: related.issued_at.slice(0, 10) }
        : null,
      reason: body.reason ?? null,
      notes: body.notes ?? null,
      metadata: body.metadata ?? {},
      cancellation: invoice.cancellation,
      batch_id: invoice.batch_id,
      pdf_url: issued ? `${base}/v1/invoices/${invoice.id}/pdf` : null,
      xml_url: issued ? `${base}/v1/invoices/${invoice.id}/xml` : null,
      verification_url: issued ? verificationUrl(invoice, base) : null,
    };
  }

  function verificationUrl(invoice: StoredInvoice, base: string): string {
    return `${base}/verificar/${invoice.id}`;
  }

  function batchJson(batch: SandboxBatch) {
    const succeeded = batch.results.filter((r) => r.status === 'succeeded').length;
    return {
      id: batch.id,
      object: 'batch',
      status: batch.status,
      source: batch.source,
      counts: { total: batch.entries.length, processed: batch.results.length, succeeded, failed: batch.results.length - succeeded },
      callback_url: batch.callback_url,
      created_at: batch.created_at,
      started_at: batch.started_at,
      completed_at: batch.completed_at,
    };
  }

  function accountById(id: string): SandboxAccount {
    return state.data.accounts[id]!;
  }

  function emit(account: SandboxAccount, type: string, object: unknown, extraUrls: (string | null)[] = []): void {
    webhooks.emit(type, object, [account.webhookUrl, ...extraUrls], account.webhookSecret, now());
  }

  // ─── idempotency ───────────────────────────────────────────────────────────────────────────

  function liveEntry(account: SandboxAccount, key: string): IdempotencyEntry | undefined {
    const id = `${account.id}|${key}`;
    const entry = state.data.idempotency[id];
    if (entry && Date.parse(entry.createdAt) + retentionMs <= now().getTime()) {
      delete state.data.idempotency[id];
      return undefined;
    }
    return entry;
  }

  function bind(account: SandboxAccount, key: string, hash: string, invoice: StoredInvoice, response: unknown): void {
    const id = `${account.id}|${key}`;
    const earlier = state.data.idempotency[id];
    state.data.idempotency[id] = {
      accountId: account.id,
      key,
      bodyHash: hash,
      createdAt: earlier?.createdAt ?? now().toISOString(),
      state: 'bound',
      batchId: invoice.batch_id,
      invoiceId: invoice.id,
      response: { status: 201, body: response },
    };
  }

  // ─── time-driven work ──────────────────────────────────────────────────────────────────────

  function advance(): void {
    const at = now();
    let changed = false;
    for (const invoice of state.data.invoices) {
      if (invoice.status === 'processing' && invoice.issue_due_at && Date.parse(invoice.issue_due_at) <= at.getTime()) {
        const account = accountById(invoice.accountId);
        assignControlNumber(account, invoice);
        emit(account, 'invoice.issued', invoiceJson(invoice, originOf()));
        changed = true;
      }
    }
    for (const batch of Object.values(state.data.batches)) {
      if (batch.status === 'queued' && Date.parse(batch.start_at) <= at.getTime()) {
        batch.status = 'processing';
        batch.started_at = at.toISOString();
        emit(accountById(batch.accountId), 'batch.processing', batchJson(batch), [batch.callback_url]);
        changed = true;
      }
      if (batch.status === 'processing' && Date.parse(batch.finish_at) <= at.getTime()) {
        processBatch(batch);
        changed = true;
      }
    }
    if (changed) state.save();
  }

  function processBatch(batch: SandboxBatch): void {
    const account = accountById(batch.accountId);
    const base = originOf();
    const issued: StoredInvoice[] = [];
    batch.results = batch.entries.map((entry): BatchRowResult => {
      const row = { row: entry.row, idempotency_key: entry.idempotency_key };
      const failed = (error: ApiErrorShape): BatchRowResult => ({ ...row, status: 'failed', invoice_id: null, error });
      const hash = bodyHash(entry.body);
      const key = entry.idempotency_key;
      const existing = key ? liveEntry(account, key) : undefined;
      if (existing?.state === 'bound') {
        if (existing.bodyHash === hash) return { ...row, status: 'succeeded', invoice_id: existing.invoiceId, error: null };
        return failed(conflict('this Idempotency-Key was used with a different invoice', 'idempotency_key_reused', 'idempotency_error').error);
      }
      if (existing?.state === 'reserved' && existing.batchId !== batch.id) {
        return failed(conflict('another request with this Idempotency-Key is still being processed', 'idempotency_key_in_use', 'idempotency_error').error);
      }
      try {
        const checked = checkDocument(state, account, entry.body, now());
        const invoice = createDocument(state, account, checked, { now: now(), controlDelayMs: 0, idempotencyKey: key, batchId: batch.id });
        if (key) bind(account, key, hash, invoice, invoiceJson(invoice, base));
        issued.push(invoice);
        return { ...row, status: 'succeeded', invoice_id: invoice.id, error: null };
      } catch (error) {
        if (!(error instanceof ApiFailure)) throw error;
        // A refused row does not consume its key: the corrected invoice may use it.
        if (key && existing?.state === 'reserved') delete state.data.idempotency[`${account.id}|${key}`];
        return failed(error.error);
      }
    });
    const succeeded = batch.results.filter((r) => r.status === 'succeeded').length;
    batch.status = succeeded === batch.results.length ? 'completed' : succeeded === 0 ? 'failed' : 'partial';
    batch.completed_at = now().toISOString();
    for (const invoice of issued) emit(account, 'invoice.issued', invoiceJson(invoice, base));
    emit(account, `batch.${batch.status}`, batchJson(batch), [batch.callback_url]);
  }

  const ticker = setInterval(() => {
    try {
      advance();
    } catch {
      // The next request or tick tries again; a tick must never take the process down.
    }
  }, options.tickMs ?? 100);
  ticker.unref?.();

  // ─── app ───────────────────────────────────────────────────────────────────────────────────

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const bodyLimit = options.bodyLimit ?? '5mb';

  const testing = express.Router();
  testing.use(express.json({ limit: '100kb' }));
  testing.get('/documents', (req, res) => {
    advance();
    res.json({ documents: state.data.invoices.map((invoice) => ({ account: invoice.accountId, ...invoiceJson(invoice, originOf(req)) })) });
  });
  testing.get('/batches', (_req, res) => {
    advance();
    res.json({ batches: Object.values(state.data.batches).map(batchJson) });
  });
  addFaultRoutes(testing, { faults, schema: FaultsInput, none: noFaults, expected: `{errorRate?: 0..1, latencyMs?, force429?, retryAfterSeconds?, dropAfterAccept?, ${CHAOS_FAULTS_EXPECTED}}`, reset });
  testing.put('/webhook', (req, res) => {
    const parsed = z.strictObject({ url: z.url().nullable() }).safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400).json({ message: 'expected {url: "http://…"} or {url: null}' });
      return;
    }
    for (const account of Object.values(state.data.accounts)) account.webhookUrl = parsed.data.url;
    state.save();
    res.json({ url: parsed.data.url });
  });
  testing.get('/webhooks', (_req, res) => {
    res.json({ deliveries: webhooks.deliveries });
  });
  app.use('/_sandbox', testing);

  // The verification page behind the QR: proves the document exists, shows no buyer data.
  app.get('/verificar/:id', (req, res) => {
    const invoice = state.data.invoices.find((i) => i.id === req.params.id && i.control_number);
    if (!invoice) {
      res.status(404).type('text/plain').send('Documento no encontrado');
      return;
    }
    const account = accountById(invoice.accountId);
    res.type('text/plain').send(`${account.businessName} RIF ${account.rif}\n${invoice.document_type} ${invoice.series}-${invoice.number}\nN° de control ${invoice.control_number}\nEstado: ${invoice.status}\n`);
  });

  const api = express.Router();
  api.use(injectFaults(faults, () => limiter.limit, () => now().getTime(), random));
  api.use(authenticate(state));
  api.use(throttle(limiter, () => now().getTime()));
  api.use((_req, _res, next) => {
    advance();
    next();
  });
  api.use(express.json({ limit: bodyLimit }));
  api.use(express.raw({ type: 'multipart/form-data', limit: bodyLimit }));

  /** Carries out the request, then drops the connection instead of answering, when armed. */
  function dropIfArmed(res: Response): boolean {
    if (!takeDropAfterAccept(faults, random)) return false;
    res.socket?.destroy();
    return true;
  }

  function handle(route: (req: Request, res: Response) => void) {
    return (req: Request, res: Response) => {
      try {
        route(req, res);
      } catch (error) {
        if (error instanceof ApiFailure) return sendFailure(res, error);
        throw error;
      }
    };
  }

  function invoiceOr404(account: SandboxAccount, id: string): StoredInvoice {
    const invoice = state.invoice(account.id, id);
    if (!invoice) throw notFound(`no invoice ${id} in this account`);
    return invoice;
  }

  api.get('/ping', (req, res) => {
    res.json({ ok: true, account: accountOf(res).id, livemode: false, time: now().toISOString() });
  });

  api.post(
    '/invoices',
    handle((req, res) => {
      const account = accountOf(res);
      const key = req.get('Idempotency-Key');
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
        throw invalidRequest('Idempotency-Key must be 1-255 visible ASCII characters', 'Idempotency-Key', 'idempotency_key_invalid');
      }
      if (!req.is('application/json')) throw invalidRequest('send the invoice as application/json', null, 'unsupported_content_type');
      const hash = bodyHash(req.body);
      if (key) {
        const entry = liveEntry(account, key);
        if (entry?.state === 'bound') {
          if (entry.bodyHash !== hash) {
            throw conflict('this Idempotency-Key was already used with a different body; use a new key for a new invoice', 'idempotency_key_reused', 'idempotency_error');
          }
          res.set('Idempotent-Replayed', 'true').status(entry.response!.status).json(entry.response!.body);
          return;
        }
        if (entry?.state === 'reserved') {
          throw conflict('a batch holding this Idempotency-Key is still being processed; ask again shortly', 'idempotency_key_in_use', 'idempotency_error');
        }
      }
      const checked = checkDocument(state, account, req.body, now());
      const invoice = createDocument(state, account, checked, { now: now(), controlDelayMs, idempotencyKey: key ?? null, batchId: null });
      const json = invoiceJson(invoice, originOf(req));
      if (key) bind(account, key, hash, invoice, invoiceJson(invoice, originOf()));
      state.save();
      if (invoice.control_number) emit(account, 'invoice.issued', json);
      if (dropIfArmed(res)) return;
      res.status(201).json(json);
    }),
  );

  api.get(
    '/invoices',
    handle((req, res) => {
      const account = accountOf(res);
      const query = req.query as Record<string, unknown>;
      const single = (name: string): string | undefined => {
        const value = query[name];
        if (value === undefined) return undefined;
        if (typeof value !== 'string') throw invalidRequest(`${name} must be given once`, name);
        return value;
      };
      const limitText = single('limit');
      const limit = limitText === undefined ? 10 : Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalidRequest('limit must be a whole number from 1 to 100', 'limit');
      const status = single('status');
      if (status !== undefined && !['processing', 'issued', 'cancelled'].includes(status)) {
        throw invalidRequest('status must be processing, issued or cancelled', 'status');
      }
      const series = single('series');
      const createdFromText = single('created_from');
      let createdFrom: number | undefined;
      if (createdFromText !== undefined) {
        const text = /^\d{4}-\d{2}-\d{2}$/.test(createdFromText) ? `${createdFromText}T00:00:00-04:00` : createdFromText;
        createdFrom = z.iso.datetime({ offset: true }).safeParse(text).success ? Date.parse(text) : NaN;
        if (Number.isNaN(createdFrom)) throw invalidRequest('created_from must be a date (YYYY-MM-DD, Caracas time) or a date-time with offset', 'created_from');
      }
      const all = state.data.invoices.filter(
        (invoice) =>
          invoice.accountId === account.id &&
          (status === undefined || invoice.status === status) &&
          (series === undefined || invoice.series === series) &&
          (createdFrom === undefined || Date.parse(invoice.created_at) >= createdFrom),
      );
      let start = 0;
      const after = single('starting_after');
      if (after !== undefined) {
        let afterId = after;
        if (after.startsWith(CURSOR_PREFIX)) afterId = Buffer.from(after.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8');
        if (afterId !== '') {
          const position = state.data.invoices.findIndex((invoice) => invoice.accountId === account.id && invoice.id === afterId);
          if (position < 0) throw invalidRequest(`starting_after ${after} is neither an invoice of this account nor a cursor`, 'starting_after');
          const anchor = state.data.invoices[position]!;
          const order = new Map(state.data.invoices.map((invoice, i) => [invoice, i]));
          start = all.findIndex((invoice) => order.get(invoice)! > order.get(anchor)!);
          if (start < 0) start = all.length;
        }
      }
      const page = all.slice(start, start + limit);
      const base = originOf(req);
      const previousStart = Math.max(0, start - limit);
      res.json({
        object: 'list',
        data: page.map((invoice) => invoiceJson(invoice, base)),
        next_cursor: start + limit < all.length && page.length ? cursorFor(page[page.length - 1]!.id) : null,
        prev_cursor: start > 0 ? cursorFor(previousStart === 0 ? null : all[previousStart - 1]!.id) : null,
      });
    }),
  );

  api.get(
    '/invoices/:id',
    handle((req, res) => {
      res.json(invoiceJson(invoiceOr404(accountOf(res), String(req.params.id)), originOf(req)));
    }),
  );

  api.post(
    '/invoices/:id/cancel',
    handle((req, res) => {
      const account = accountOf(res);
      const invoice = invoiceOr404(account, String(req.params.id));
      const parsed = CancelBody.safeParse(req.body ?? {});
      if (!parsed.success) throw invalidRequest(parsed.error.issues[0]!.message, 'reason');
      const { creditNote } = cancelDocument(state, account, invoice, { now: now(), reason: parsed.data.reason ?? null });
      state.save();
      const base = originOf(req);
      if (creditNote) emit(account, 'invoice.issued', invoiceJson(creditNote, base));
      const json = invoiceJson(invoice, base);
      emit(account, 'invoice.cancelled', json);
      if (dropIfArmed(res)) return;
      res.json(json);
    }),
  );

  for (const format of ['pdf', 'xml'] as const) {
    api.get(
      `/invoices/:id/${format}`,
      handle((req, res) => {
        const account = accountOf(res);
        const invoice = invoiceOr404(account, String(req.params.id));
        if (!invoice.control_number) throw conflict('the document has no control number yet; ask again once it is issued', 'invoice_processing');
        const verification = verificationUrl(invoice, originOf(req));
        const name = `${invoice.series}-${invoice.number}-${invoice.control_number}`;
        res.setHeader('Content-Disposition', `inline; filename="${name}.${format}"`);
        if (format === 'pdf') res.type('application/pdf').send(documentPdf(documentLines(account, invoice, verification)));
        else res.type('application/xml').send(documentXml(account, invoice, verification));
      }),
    );
  }

  api.post(
    '/batches',
    handle((req, res) => {
      const account = accountOf(res);
      let entries: BatchEntry[];
      let callbackUrl: string | null = null;
      let source: SandboxBatch['source'];
      if (req.is('multipart/form-data')) {
        source = 'csv';
        const parts = Buffer.isBuffer(req.body) ? parseMultipart(req.body, req.get('content-type') ?? '') : undefined;
        if (!parts) throw invalidRequest('the multipart body could not be read', null, 'multipart_invalid');
        const file = parts.find((part) => part.name === 'file');
        if (!file) throw invalidRequest('the CSV goes in the multipart field "file"', 'file', 'parameter_missing');
        const callback = parts.find((part) => part.name === 'callback_url')?.data.toString('utf8').trim();
        if (callback) {
          if (!z.url().safeParse(callback).success || !/^https?:\/\//.test(callback)) throw invalidRequest('callback_url must be an http(s) URL', 'callback_url');
          callbackUrl = callback;
        }
        const { entries: rows, problems } = csvToInvoices(file.data.toString('utf8'));
        if (problems.length) {
          const shown = problems.slice(0, 5).map((p) => `line ${p.line}${p.column ? ` (${p.column})` : ''}: ${p.message}`);
          throw invalidRequest(`the CSV cannot be read: ${shown.join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`, 'file', 'csv_invalid');
        }
        if (rows.length > MAX_BATCH_INVOICES) throw invalidRequest(`the CSV holds ${rows.length} invoices; at most ${MAX_BATCH_INVOICES} per batch`, 'file', 'too_many_invoices');
        entries = rows.map((row, i) => ({ row: i + 1, line: row.line, idempotency_key: row.idempotencyKey ?? null, body: row.body }));
      } else if (req.is('application/json')) {
        source = 'json';
        const parsed = BatchJsonBody.safeParse(req.body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          const field = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
          throw invalidRequest(issue.message, field || null, issue.code === 'too_big' ? 'too_many_invoices' : 'parameter_invalid');
        }
        callbackUrl = parsed.data.callback_url ?? null;
        entries = parsed.data.invoices.map((invoice, i) => {
          const { idempotency_key: key, ...body } = invoice;
          if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key))) {
            throw invalidRequest('idempotency_key must be 1-255 visible ASCII characters', `invoices[${i}].idempotency_key`, 'idempotency_key_invalid');
          }
          return { row: i + 1, line: null, idempotency_key: (key as string | undefined) ?? null, body };
        });
      } else {
        throw invalidRequest('send a batch as application/json or as multipart/form-data with a CSV file', null, 'unsupported_content_type');
      }
      const keys = new Set<string>();
      for (const entry of entries) {
        if (!entry.idempotency_key) continue;
        if (keys.has(entry.idempotency_key)) {
          throw invalidRequest(`idempotency_key ${entry.idempotency_key} appears twice in the batch`, `invoices[${entry.row - 1}].idempotency_key`, 'duplicate_idempotency_key');
        }
        keys.add(entry.idempotency_key);
      }
      const at = now();
      const batch: SandboxBatch = {
        id: newId('bat'),
        accountId: account.id,
        source,
        status: 'queued',
        callback_url: callbackUrl,
        created_at: at.toISOString(),
        start_at: new Date(at.getTime() + queueMs).toISOString(),
        finish_at: new Date(at.getTime() + queueMs + processMs).toISOString(),
        started_at: null,
        completed_at: null,
        entries,
        results: [],
      };
      // Keys are held from now on, so a single POST with one of them waits for the batch (409 in use).
      for (const entry of entries) {
        if (!entry.idempotency_key || liveEntry(account, entry.idempotency_key)) continue;
        state.data.idempotency[`${account.id}|${entry.idempotency_key}`] = {
          accountId: account.id,
          key: entry.idempotency_key,
          bodyHash: bodyHash(entry.body),
          createdAt: at.toISOString(),
          state: 'reserved',
          batchId: batch.id,
          invoiceId: null,
          response: null,
        };
      }
      state.data.batches[batch.id] = batch;
      state.save();
      if (dropIfArmed(res)) return;
      res.status(202).json(batchJson(batch));
    }),
  );

  function batchOr404(account: SandboxAccount, id: string): SandboxBatch {
    const batch = state.data.batches[id];
    if (!batch || batch.accountId !== account.id) throw notFound(`no batch ${id} in this account`);
    return batch;
  }

  api.get(
    '/batches/:id',
    handle((req, res) => {
      res.json(batchJson(batchOr404(accountOf(res), String(req.params.id))));
    }),
  );

  const batchResult = (extension: '.csv' | '.json' | undefined) =>
    handle((req, res) => {
      const batch = batchOr404(accountOf(res), String(req.params.id));
      if (batch.status === 'queued' || batch.status === 'processing') {
        throw conflict(`the batch is ${batch.status}; its result exists once it is completed, failed or partial`, 'batch_not_finished');
      }
      const wantsCsv = extension === '.csv' || req.query.format === 'csv' || (extension !== '.json' && req.accepts(['application/json', 'text/csv']) === 'text/csv');
      const base = originOf(req);
      const invoiceOf = (result: BatchRowResult) => (result.invoice_id ? state.data.invoices.find((i) => i.id === result.invoice_id) : undefined);
      if (wantsCsv) {
        const rows = batch.results.map((result) => {
          const invoice = invoiceOf(result);
          return [
            String(result.row),
            result.idempotency_key ?? '',
            result.status,
            invoice?.id ?? '',
            invoice?.document_type ?? '',
            invoice?.series ?? '',
            invoice?.number ?? '',
            invoice?.control_number ?? '',
            invoice ? String((invoice.body.totals as { total: string }).total) : '',
            result.error?.type ?? '',
            result.error?.code ?? '',
            result.error?.field ?? '',
            result.error?.message ?? '',
          ];
        });
        res.type('text/csv').send(formatCsv([[...RESULT_CSV_COLUMNS], ...rows]));
        return;
      }
      res.json({
        object: 'list',
        batch_id: batch.id,
        data: batch.results.map((result) => {
          const invoice = invoiceOf(result);
          const line = batch.entries.find((entry) => entry.row === result.row)?.line ?? null;
          return { ...result, ...(line !== null ? { line } : {}), invoice: invoice ? invoiceJson(invoice, base) : null };
        }),
      });
    });
  api.get('/batches/:id/result', batchResult(undefined));
  api.get('/batches/:id/result.csv', batchResult('.csv'));
  api.get('/batches/:id/result.json', batchResult('.json'));

  api.use((_req, res) => {
    sendError(res, 404, { type: 'invalid_request_error', message: 'no such route in the tuimprenta API', field: null, code: 'route_not_found' });
  });
  app.use('/v1', api);

  app.use((_req, res) => {
    sendError(res, 404, { type: 'invalid_request_error', message: 'no such route; the API lives under /v1', field: null, code: 'route_not_found' });
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const type = (error as { type?: string } | null)?.type;
    if (type === 'entity.parse.failed') {
      sendError(res, 422, { type: 'invalid_request_error', message: 'the body is not valid JSON', field: null, code: 'invalid_json' });
      return;
    }
    if (type === 'entity.too.large') {
      sendError(res, 413, { type: 'invalid_request_error', message: `the body exceeds ${bodyLimit}`, field: null, code: 'body_too_large' });
      return;
    }
    sendError(res, 500, { type: 'api_error', message: 'internal error', field: null, code: 'internal_error' });
  });

  function reset(): void {
    state.reset();
    Object.assign(faults, noFaults());
    limiter.clear();
    webhooks.clear();
  }

  return {
    app,
    state,
    faults,
    webhooks,
    setOrigin: (value) => {
      origin = value;
    },
    advance,
    reset,
    close: () => {
      clearInterval(ticker);
      webhooks.close();
    },
  };
}
