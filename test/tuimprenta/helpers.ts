/** Raw HTTP against a running tuimprenta sandbox, for the sandbox tests. */
import { TUIMPRENTA_SANDBOX_API_KEY } from '../../connectors/tuimprenta/sandbox/index.js';

export interface RawAnswer {
  status: number;
  headers: Headers;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

export function apiOf(baseUrl: string) {
  return async (
    path: string,
    options: { method?: string; body?: unknown; key?: string | null; headers?: Record<string, string>; raw?: string | FormData | Buffer } = {},
  ): Promise<RawAnswer> => {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? TUIMPRENTA_SANDBOX_API_KEY : options.key;
    if (key) headers.Authorization = `Bearer ${key}`;
    let body: string | FormData | Buffer | undefined = options.raw;
    if (options.body !== undefined) {
      headers['Content-Type'] ??= 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    const response = await fetch(`${baseUrl}${path}`, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text };
  };
}

/**
 * An issued invoice as tuimprenta's API returns it (`GET /v1/invoices/{id}`, webhooks' `data.object`),
 * with its links under `base` when given.
 */
export function invoiceResource(overrides: Record<string, unknown> = {}, base?: string): Record<string, unknown> {
  return {
    id: 'inv_1',
    object: 'invoice',
    document_type: 'invoice',
    series: 'A',
    number: '00000007',
    control_number: '00-00000042',
    status: 'issued',
    issued_at: '2026-11-20T10:15:00-04:00',
    created_at: '2026-11-20T14:15:01.000Z',
    currency: 'VES',
    grand_total: '286.00',
    metadata: {},
    ...(base ? { pdf_url: `${base}/v1/invoices/inv_1/pdf`, xml_url: `${base}/v1/invoices/inv_1/xml`, verification_url: `${base}/verificar/inv_1` } : {}),
    ...overrides,
  };
}
