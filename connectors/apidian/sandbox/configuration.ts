/**
 * `/api/ubl2.1/config/*`: company registration (the token Puente then uses), software, numbering
 * resolutions and environment (reference §1.2–1.3). Field rules follow the reference; where it is
 * silent (which registration fields are required) the sandbox asks only for what it uses.
 */
import { createHash, randomBytes } from 'node:crypto';
import express, { type Response } from 'express';
import { TYPE_DOCUMENT_IDS } from '../ids.js';
import { laravelMessage, validationMessages, type LaravelErrors } from '../wire.js';
import { authenticate, sendValidationError, type AuthenticatedLocals, type ErrorStyle } from './http.js';
import type { SandboxCompany, SandboxResolution, SandboxStore } from './state.js';

type Body = Record<string, unknown>;

function bodyOf(value: unknown): Body {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Body) : {};
}

function blank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** Collects Laravel-style errors for the small configuration requests. */
class Checks {
  readonly errors: LaravelErrors = {};
  constructor(private readonly body: Body) {}

  #add(path: string, template: string): void {
    (this.errors[path] ??= []).push(laravelMessage(template, path));
  }

  required(path: string): boolean {
    if (blank(this.body[path])) {
      this.#add(path, validationMessages.required);
      return false;
    }
    return true;
  }

  string(path: string): void {
    if (!blank(this.body[path]) && typeof this.body[path] !== 'string') this.#add(path, validationMessages.string);
  }

  integer(path: string): void {
    const value = this.body[path];
    if (!blank(value) && !/^[+-]?\d+$/.test(String(value).trim())) this.#add(path, validationMessages.integer);
  }

  date(path: string): void {
    const value = this.body[path];
    if (!blank(value) && !(typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) && !Number.isNaN(Date.parse(value.trim())))) {
      this.#add(path, validationMessages.dateFormat('Y-m-d'));
    }
  }

  digits(path: string, digits: number): void {
    const value = this.body[path];
    if (!blank(value) && !new RegExp(`^\\d{${digits}}$`).test(String(value).trim())) this.#add(path, validationMessages.digits(digits));
  }

  oneOf(path: string, values: readonly number[]): void {
    const value = this.body[path];
    if (!blank(value) && !values.includes(Number(value))) this.#add(path, validationMessages.in);
  }

  email(path: string): void {
    const value = this.body[path];
    if (!blank(value) && !(typeof value === 'string' && /^[^\s@]+@[^\s@]+$/.test(value.trim()))) this.#add(path, validationMessages.email);
  }

  maxLength(path: string, max: number): void {
    const value = this.body[path];
    if (typeof value === 'string' && value.length > max) this.#add(path, validationMessages.maxString(max));
  }

  get ok(): boolean {
    return Object.keys(this.errors).length === 0;
  }
}

function companyView(company: SandboxCompany) {
  return {
    identification_number: company.nit,
    dv: company.dv,
    name: company.businessName,
    email: company.email,
    type_environment_id: company.environment,
  };
}

export function configurationRoutes(deps: { state: SandboxStore; style: ErrorStyle; registrationEnabled: boolean }) {
  const { state, style } = deps;
  const router = express.Router();
  const auth = authenticate(state, style);
  const companyOf = (res: Response) => (res.locals as AuthenticatedLocals).company;

  // The software, resolution and environment routes are declared first so that `software` is not
  // taken for a NIT (the registration route is POST, these are PUT, but keep the intent obvious).
  router.put('/software', auth, (req, res) => {
    const body = bodyOf(req.body);
    const checks = new Checks(body);
    if (checks.required('id')) checks.string('id');
    if (checks.required('pin')) checks.digits('pin', 5);
    checks.string('url');
    if (!checks.ok) return sendValidationError(res, style, checks.errors);
    const company = companyOf(res);
    company.software = {
      id: String(body.id).trim(),
      pin: String(body.pin).trim(),
      url: typeof body.url === 'string' && body.url.trim() ? body.url.trim() : 'https://vpfe-hab.dian.gov.co/WcfDianCustomerServices.svc',
    };
    state.save();
    res.json({ success: true, message: 'Software creado/actualizado con éxito', software: { identifier: company.software.id, pin: company.software.pin, url: company.software.url } });
  });

  router.put('/resolution', auth, (req, res) => {
    const body = bodyOf(req.body);
    const checks = new Checks(body);
    const typeOk = checks.required('type_document_id');
    if (typeOk && !TYPE_DOCUMENT_IDS.has(Number(body.type_document_id))) {
      (checks.errors.type_document_id ??= []).push(laravelMessage(validationMessages.exists, 'type_document_id'));
    }
    const typeId = Number(body.type_document_id);
    // Invoices carry a CUFE: their resolution needs the DIAN resolution data and technical key.
    const numbered = typeId === 1 || typeId === 2;
    for (const path of ['from', 'to']) if (checks.required(path)) checks.integer(path);
    if (numbered) {
      for (const path of ['resolution', 'technical_key', 'prefix']) if (checks.required(path)) checks.string(path);
      for (const path of ['resolution_date', 'date_from', 'date_to']) if (checks.required(path)) checks.date(path);
    } else {
      checks.string('prefix');
      for (const path of ['resolution_date', 'date_from', 'date_to']) checks.date(path);
    }
    if (typeId === 2) checks.maxLength('prefix', 4);
    if (!checks.ok) return sendValidationError(res, style, checks.errors);

    const text = (value: unknown) => (blank(value) ? null : String(value).trim());
    const resolution: SandboxResolution = {
      type_document_id: typeId,
      prefix: text(body.prefix) ?? '',
      resolution: text(body.resolution),
      resolution_date: text(body.resolution_date),
      technical_key: text(body.technical_key),
      from: Number(body.from),
      to: Number(body.to),
      date_from: text(body.date_from),
      date_to: text(body.date_to),
    };
    const company = companyOf(res);
    const index = company.resolutions.findIndex(
      (r) => r.type_document_id === resolution.type_document_id && r.prefix === resolution.prefix && r.resolution === resolution.resolution,
    );
    if (index >= 0) company.resolutions[index] = resolution;
    else company.resolutions.push(resolution);
    state.save();
    res.json({ success: true, message: 'Resolución creada/actualizada con éxito', resolution });
  });

  router.put('/environment', auth, (req, res) => {
    const body = bodyOf(req.body);
    const checks = new Checks(body);
    if (checks.required('type_environment_id')) checks.oneOf('type_environment_id', [1, 2]);
    if (!checks.ok) return sendValidationError(res, style, checks.errors);
    const company = companyOf(res);
    company.environment = Number(body.type_environment_id) as 1 | 2;
    state.save();
    res.json({ success: true, message: 'Ambiente actualizado con éxito', company: companyView(company) });
  });

  // POST config/{nit}/{dv?}: no token needed (check.api.register); creates or updates the company.
  router.post('/:nit{/:dv}', (req, res) => {
    if (!deps.registrationEnabled) {
      res.status(403).json({ code: 403, status: false, message: 'Access to this route is disabled.' });
      return;
    }
    const nit = String(req.params.nit);
    const body = bodyOf(req.body);
    const checks = new Checks(body);
    if (!/^\d{1,15}$/.test(nit)) (checks.errors.nit ??= []).push(laravelMessage(validationMessages.numeric, 'nit'));
    if (checks.required('business_name')) checks.string('business_name');
    if (checks.required('email')) checks.email('email');
    checks.oneOf('type_environment_id', [1, 2]);
    if (!checks.ok) return sendValidationError(res, style, checks.errors);

    const dv = req.params.dv === undefined ? null : String(req.params.dv);
    let company = state.data.companies[nit];
    if (company) {
      company.businessName = String(body.business_name).trim();
      company.email = String(body.email).trim();
      company.dv = dv;
    } else {
      company = {
        nit,
        dv,
        businessName: String(body.business_name).trim(),
        email: String(body.email).trim(),
        // APIDIAN stores sha256 of a password as api_token: 64 hex characters.
        token: createHash('sha256').update(randomBytes(32)).digest('hex'),
        software: null,
        environment: blank(body.type_environment_id) ? 2 : (Number(body.type_environment_id) as 1 | 2),
        resolutions: [],
        fileSequences: {},
      };
      state.data.companies[nit] = company;
    }
    state.save();
    res.json({ success: true, message: 'Empresa creada/actualizada con éxito', token: company.token, company: companyView(company) });
  });

  return router;
}
