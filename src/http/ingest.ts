/**
 * The front door for webhook deliveries: a plain node:http handler that takes
 * `POST /webhooks/<name>[/<connection>]` before express sees the request, reads the body into one
 * buffer under the size limit, and hands it to the same `webhookHandler` the express routes use — so
 * what a delivery is answered is decided in one place, and only the way to it is shorter.
 *
 * Why: deliveries are the one path with volume (a store's whole order flow, and Shopify's retries),
 * and the answer must come within milliseconds of the durable write. Express spends more per request
 * (router, body-parser's content-type and charset checks, res.json's ETag) than verifying the
 * signature does. Anything this door is not sure about — another method, a percent-encoded or
 * odd-cased path, a compressed body (express.raw inflates those) — it leaves to express, untouched.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { deliveryOf, payloadTooLarge, type WebhookAnswer, type WebhookHandler } from './webhooks.js';

/** Handles the request and returns true, or returns false without touching it (express takes it). */
export type FrontDoor = (req: IncomingMessage, res: ServerResponse) => boolean;

const PREFIX = '/webhooks/';
/** One or two path segments, no percent-encoding (express decodes those; it gets them), optional trailing slash. */
const ROUTE = /^\/webhooks\/([^/%]+)(?:\/([^/%]+))?\/?$/;

/** The names in a delivery's path, or undefined when it is not one this door takes. */
export function webhookPath(url: string): { name: string; connection?: string } | undefined {
  if (!url.startsWith(PREFIX)) return undefined;
  const query = url.indexOf('?');
  const match = ROUTE.exec(query === -1 ? url : url.slice(0, query));
  if (!match) return undefined;
  return match[2] === undefined ? { name: match[1]! } : { name: match[1]!, connection: match[2] };
}

function respond(res: ServerResponse, answer: WebhookAnswer): void {
  const body = JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Reads the whole body, or stops at `limit` bytes: resolves with the buffer, with 'too_large', or with
 * 'gone' when the client went away before the end (nobody is left to answer).
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large' | 'gone'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        cleanup();
        // The rest is read and dropped by the stream itself, so the connection stays usable.
        req.resume();
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
    };
    const onGone = () => {
      cleanup();
      resolve('gone');
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onGone);
      req.off('close', onGone);
      // Errors after this point (a reset while the rest is dropped) must not crash the process.
      req.off('error', onGone);
      req.on('error', ignore);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onGone);
    req.on('close', onGone);
    req.on('error', onGone);
  });
}

function ignore(): void {}

/** The front door for `handle`, refusing bodies over `maxBodyBytes` with 413 as the express routes do. */
export function webhookFrontDoor(handle: WebhookHandler, maxBodyBytes: number): FrontDoor {
  return (req, res) => {
    if (req.method !== 'POST' || req.url === undefined) return false;
    const path = webhookPath(req.url);
    if (!path) return false;
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;

    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBodyBytes) {
      // Answered without reading: node:http drops the unread body and keeps the connection.
      req.on('error', ignore);
      respond(res, payloadTooLarge(maxBodyBytes));
      return true;
    }
    void readBody(req, maxBodyBytes).then(async (body) => {
      if (body === 'gone') return;
      if (body === 'too_large') {
        respond(res, payloadTooLarge(maxBodyBytes));
        return;
      }
      // webhookHandler never rejects: a failure is its 500 answer.
      respond(res, await handle(deliveryOf(path, body, req.headers)));
    });
    return true;
  };
}

/** `door` in front of `fallback` (the express app) as one node:http request listener. */
export function withFrontDoor(door: FrontDoor, fallback: RequestListener): RequestListener {
  return (req, res) => {
    if (!door(req, res)) fallback(req, res);
  };
}
