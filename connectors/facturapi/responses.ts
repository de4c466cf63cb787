/**
 * Parsers for FacturApi's answers (shapes in routes.ts). Lenient about extra fields and about
 * numbers sent as text, strict about what Puente decides on: a body that lacks it is an
 * UnexpectedResponseError, which the client turns into `unknown_outcome` (submits) or `retryable`.
 */
import { z } from 'zod';
import type { ConsultaRucResult, DeEstado, EventoResult, FailureBody, LoteConsultaResult, LoteCreateResult } from './routes.js';

export class UnexpectedResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnexpectedResponseError';
  }
}

const text = z.union([z.string(), z.number()]).transform(String);
const code = text.refine((value) => /^\d{4}$/.test(value), { message: 'a 4-digit SIFEN code' });
const reason = z.looseObject({ dCodRes: text, dMsgRes: z.string() });

const Failure = z.looseObject({
  success: z.literal(false),
  error: z.string().default('FacturApi refused the request without a message'),
  errores: z.array(z.looseObject({ indice: z.number().int().nonnegative(), error: z.string() })).optional(),
});

const LoteCreate = z.looseObject({
  dFecProc: z.string().default(''),
  dCodRes: code,
  dMsgRes: z.string().default(''),
  dProtConsLote: text.optional(),
  dTpoProces: text.optional(),
  deList: z
    .array(
      z.looseObject({
        cdc: z.string(),
        tipoDocumento: z.coerce.number(),
        numero: z.string().default(''),
        estado: z.string().default(''),
        totales: z.record(z.string(), text).optional(),
      }),
    )
    .default([]),
});

const LoteConsulta = z.looseObject({
  dFecProc: z.string().default(''),
  dCodResLot: code,
  dMsgResLot: z.string().default(''),
  gResProcLote: z
    .array(
      z.looseObject({
        id: z.string(),
        dEstRes: z.enum(['Aprobado', 'Aprobado con observación', 'Rechazado']),
        dProtAut: text.optional(),
        gResProc: z.union([z.array(reason), reason.transform((r) => [r])]).default([]),
      }),
    )
    .optional(),
});

const Estado = z.looseObject({
  deList: z.array(
    z.looseObject({
      cdc: z.string(),
      estado: z.string().nullable().default(null),
      dCodRes: code,
      dMsgRes: z.string().default(''),
      tipoDocumento: z.coerce.number().optional(),
      numero: z.string().optional(),
      dProtAut: text.optional(),
      gResProc: z.array(reason).optional(),
      fechaAprobacion: z.string().optional(),
    }),
  ),
});

const Evento = z.looseObject({ dCodRes: code, dMsgRes: z.string().default(''), id: text.default('') });

const Ruc = z.looseObject({
  dCodRes: code,
  dMsgRes: z.string().default(''),
  xContRUC: z
    .looseObject({
      dRUCCons: text,
      dRazCons: z.string(),
      dCodEstCons: z.string().default(''),
      dDesEstCons: z.string().default(''),
      dRUCFactElec: z.enum(['S', 'N']).default('N'),
    })
    .optional(),
});

/** `{ success: false, … }` when the body is FacturApi's failure envelope; undefined otherwise. */
export function parseFailure(body: unknown): FailureBody | undefined {
  const parsed = Failure.safeParse(body);
  if (!parsed.success) return undefined;
  return { success: false, error: parsed.data.error, ...(parsed.data.errores ? { errores: parsed.data.errores.map((e) => ({ indice: e.indice, error: e.error })) } : {}) };
}

function resultOf<T>(body: unknown, schema: z.ZodType<T>, what: string): T {
  const envelope = body as { success?: unknown; result?: unknown } | null;
  if (!envelope || typeof envelope !== 'object' || envelope.success !== true) {
    throw new UnexpectedResponseError(`${what}: the answer is not FacturApi's { success: true, result } envelope`);
  }
  const parsed = schema.safeParse(envelope.result);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UnexpectedResponseError(`${what}: unexpected result (${issue ? `${issue.path.join('.') || 'result'}: ${issue.message}` : 'invalid'})`);
  }
  return parsed.data;
}

export const parseLoteCreate = (body: unknown): LoteCreateResult => resultOf(body, LoteCreate, 'lote/create') as LoteCreateResult;
export const parseLoteConsulta = (body: unknown): LoteConsultaResult => resultOf(body, LoteConsulta, 'lote consulta') as LoteConsultaResult;
export const parseDeEstado = (body: unknown): DeEstado[] => (resultOf(body, Estado, 'de/estado') as { deList: DeEstado[] }).deList;
export const parseEvento = (body: unknown): EventoResult => resultOf(body, Evento, 'evento') as EventoResult;
export const parseConsultaRuc = (body: unknown): ConsultaRucResult => resultOf(body, Ruc, 'consulta RUC') as ConsultaRucResult;

/** xmlgen joins its messages with "; " (errorSeparator); each becomes one message. */
export function splitMessages(joined: string): string[] {
  return joined
    .split(/;\s+/)
    .map((message) => message.trim())
    .filter((message) => message !== '');
}

/**
 * A second line of defence for buyer data: a message about `data.cliente` loses any quoted or
 * parenthesised value (xmlgen quotes the buyer's RUC or name in some of its messages).
 */
export function scrubBuyerData(message: string): string {
  if (!/cliente|receptor/i.test(message)) return message;
  return message.replace(/'[^']*'|"[^"]*"|\([^)]*\)/g, '…');
}
