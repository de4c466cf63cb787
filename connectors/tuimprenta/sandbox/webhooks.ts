/**
 * Event delivery: every event goes to the account's webhook URL and, for batch events, to the
 * batch's `callback_url`, signed with `X-Tuimprenta-Signature` (webhook.ts). A delivery that is not
 * answered 2xx within 10 s is tried again (same event id) up to `attempts` times; deliveries live in
 * memory and are listed at `GET /_sandbox/webhooks`.
 */
import { newId } from './fiscal.js';
import { signWebhookPayload } from '../webhook.js';

export interface WebhookDelivery {
  eventId: string;
  type: string;
  url: string;
  attempts: number;
  status: 'pending' | 'delivered' | 'failed';
  lastStatus: number | null;
  lastError: string | null;
}

export interface WebhookSenderOptions {
  /** Tries per delivery (default 3). */
  attempts?: number;
  /** Wait before each retry, ms (default [1000, 5000]). */
  backoffMs?: number[];
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

export class WebhookSender {
  readonly deliveries: WebhookDelivery[] = [];
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #attempts: number;
  readonly #backoffMs: number[];
  readonly #timeoutMs: number;
  readonly #fetch: typeof globalThis.fetch;
  #closed = false;

  constructor(options: WebhookSenderOptions = {}) {
    this.#attempts = options.attempts ?? 3;
    this.#backoffMs = options.backoffMs ?? [1000, 5000];
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Builds one event and sends it to each URL (duplicates and nulls dropped). Returns the event. */
  emit(type: string, object: unknown, urls: (string | null | undefined)[], secret: string, now: Date): { id: string; raw: string } {
    const event = { id: newId('evt'), object: 'event', type, created_at: now.toISOString(), data: { object } };
    const raw = JSON.stringify(event);
    for (const url of new Set(urls.filter((u): u is string => !!u))) {
      const delivery: WebhookDelivery = { eventId: event.id, type, url, attempts: 0, status: 'pending', lastStatus: null, lastError: null };
      this.deliveries.push(delivery);
      this.#attempt(delivery, raw, secret);
    }
    return { id: event.id, raw };
  }

  /** Resolves once nothing is being sent right now (retries still scheduled are not waited for). */
  async idle(): Promise<void> {
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  clear(): void {
    this.deliveries.length = 0;
  }

  #attempt(delivery: WebhookDelivery, raw: string, secret: string): void {
    if (this.#closed) return;
    const sending = this.#send(delivery, raw, secret).finally(() => this.#inFlight.delete(sending));
    this.#inFlight.add(sending);
  }

  async #send(delivery: WebhookDelivery, raw: string, secret: string): Promise<void> {
    delivery.attempts += 1;
    try {
      const response = await this.#fetch(delivery.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'tuimprenta-webhooks/1 (sandbox)', 'X-Tuimprenta-Signature': signWebhookPayload(raw, secret) },
        body: raw,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      delivery.lastStatus = response.status;
      delivery.lastError = null;
      if (response.ok) {
        delivery.status = 'delivered';
        return;
      }
    } catch (error) {
      delivery.lastError = error instanceof Error ? error.message : String(error);
    }
    if (delivery.attempts >= this.#attempts || this.#closed) {
      delivery.status = 'failed';
      return;
    }
    const wait = this.#backoffMs[Math.min(delivery.attempts - 1, this.#backoffMs.length - 1)] ?? 1000;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#attempt(delivery, raw, secret);
    }, wait);
    timer.unref?.();
    this.#timers.add(timer);
  }
}
