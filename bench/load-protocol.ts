/**
 * Messages between the benchmark (parent) and the load generator (a forked child process, so the
 * client never shares an event loop or a core's time slice with the server under test).
 */
import type { LatencySummary } from './stats.js';

export interface DeliverySource {
  /** Shopify app secret that signs the bodies. */
  secret: string;
  shop: string;
  /** How many distinct demo orders (`demoOrder(0..n-1)`) are signed up front and cycled through. */
  distinctOrders: number;
}

interface CommonJob {
  url: string;
  /** Prefix of the X-Shopify-Event-Id of every delivery of this job; each delivery adds its sequence number. */
  eventIdPrefix: string;
  /** Deliveries in this leading period are sent but not counted. */
  warmupMs: number;
  /** The measured period, after the warm-up. */
  durationMs: number;
}

/** N clients, each sending its next delivery as soon as the previous one is answered. */
export interface ClosedLoopJob extends CommonJob {
  mode: 'closed';
  concurrency: number;
}

/**
 * Deliveries sent on a fixed schedule whatever the server does; latency counts from the scheduled
 * send time, so a stalled server is charged for every delivery that had to wait (no coordinated omission).
 */
export interface OpenLoopJob extends CommonJob {
  mode: 'open';
  ratePerSecond: number;
  /** Sockets the client may open; enough that the client itself never queues at the target rate. */
  maxSockets: number;
  /** Give up on answers still missing this long after the last scheduled send. */
  drainTimeoutMs: number;
}

export type LoadJob = ClosedLoopJob | OpenLoopJob;

export interface LoadResult {
  mode: LoadJob['mode'];
  /** Answers with 200 inside the measured period. */
  ok: number;
  /** Non-200 answers and transport errors inside the measured period, by status (or error code). */
  failures: Record<string, number>;
  /** Every delivery sent, warm-up included. */
  sent: number;
  /** All deliveries answered 200, warm-up included (each one must be a stored event). */
  okIncludingWarmup: number;
  measuredMs: number;
  /** ok / measured seconds. */
  perSecond: number;
  latencyMs: LatencySummary;
  /** Measured deliveries answered 200, by the second (from the window's start) their answer came in. */
  perSecondTimeline: number[];
  /** Open loop only: deliveries sent more than 5 ms after their scheduled time (the generator fell behind). */
  lateSends?: number;
  /**
   * Open loop only: answers that never came within drainTimeoutMs (any time in the run). Those in the
   * measured window are in latencyMs with the time waited until the client gave up, a lower bound.
   */
  unanswered?: number;
  /**
   * Added by the parent, whose process runs the server under test: CPU time (user + system) that process
   * used during the job, divided by the deliveries sent, warm-up included.
   */
  serverCpuUsPerDelivery?: number;
}

export type ParentMessage = { type: 'prepare'; source: DeliverySource } | { type: 'run'; job: LoadJob } | { type: 'exit' };

export type ChildMessage =
  | { type: 'prepared'; distinctOrders: number; meanBodyBytes: number }
  | { type: 'result'; result: LoadResult }
  | { type: 'error'; message: string };
