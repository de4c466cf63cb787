import type { NextFunction, Request, Response } from 'express';

/** Every error leaves as JSON with a message that says what was wrong; nothing else leaks. */
export function jsonErrorHandler(error: unknown, _req: Request, res: Response, _next: NextFunction): void {
  const status = (error as { status?: number; statusCode?: number }).status ?? (error as { statusCode?: number }).statusCode ?? 500;
  const type = (error as { type?: string }).type;
  if (type === 'entity.too.large') {
    res.status(413).json({ error: 'payload_too_large', message: `the body is larger than the ${(error as { limit?: number }).limit} bytes this endpoint accepts` });
    return;
  }
  if (status >= 400 && status < 500) {
    res.status(status).json({ error: 'bad_request', message: (error as Error).message });
    return;
  }
  res.status(500).json({ error: 'internal', message: 'internal error; see the server log' });
}
