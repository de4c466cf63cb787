/**
 * The baseline: the least a webhook endpoint can do and still be honest — read the raw body, check
 * Shopify's HMAC with a timing-safe comparison, answer 200. No parsing, no storage, no framework.
 * Puente's ingest rate is reported as a fraction of this server's rate measured in the same run.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BareServer {
  url: string;
  close(): Promise<void>;
}

const ACCEPTED = Buffer.from('{"ok":true}');
const REFUSED = Buffer.from('{"error":"invalid_signature"}');

function signatureMatches(body: Buffer, header: string | string[] | undefined, secret: string): boolean {
  if (typeof header !== 'string') return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(header, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startBareServer(secret: string): Promise<BareServer> {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const ok = signatureMatches(Buffer.concat(chunks), request.headers['x-shopify-hmac-sha256'], secret);
      const body = ok ? ACCEPTED : REFUSED;
      response.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      response.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/shopify`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
