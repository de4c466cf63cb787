/**
 * The demo account every fresh Unidigital sandbox starts with, so `puente sandbox unidigital` and the
 * tests can issue documents without setting anything up. Its password is public on purpose: the
 * sandbox is a simulator that holds no real data.
 */
import { createHash } from 'node:crypto';

export const UNIDIGITAL_SANDBOX_DEMO_USER = 'demo@puente.example';
export const UNIDIGITAL_SANDBOX_DEMO_PASSWORD = 'puente-demo';
/** The series every document type is issued in ("A"). */
export const UNIDIGITAL_SANDBOX_SERIES_ID = '6b0f2a9e-3c1d-4e8b-9f27-5a4d3c2b1e0f';
export const UNIDIGITAL_SANDBOX_SERIES_NAME = 'A';
/** The company's one commercial office (SucursalStrongId). */
export const UNIDIGITAL_SANDBOX_SUCURSAL_ID = '0d9c8b7a-6f5e-4d3c-8b2a-190817263544';

export interface SandboxSeries {
  strongId: string;
  name: string;
  useSystemReferenceAsKey: boolean;
  calculatedByCompany: boolean;
}

export interface SandboxAccount {
  userName: string;
  /** SHA-512 hex of the password: what the login compares. */
  passwordDigest: string;
  company: { name: string; rif: string };
  series: SandboxSeries[];
  sucursales: Array<{ strongId: string; name: string }>;
  /** Last control number the imprenta assigned to this account. */
  lastControlNumber: number;
}

export function demoAccount(): SandboxAccount {
  return {
    userName: UNIDIGITAL_SANDBOX_DEMO_USER,
    passwordDigest: createHash('sha512').update(UNIDIGITAL_SANDBOX_DEMO_PASSWORD, 'utf8').digest('hex'),
    company: { name: 'PUENTE DEMO VENEZUELA C.A.', rif: 'J-40123456-7' },
    series: [{ strongId: UNIDIGITAL_SANDBOX_SERIES_ID, name: UNIDIGITAL_SANDBOX_SERIES_NAME, useSystemReferenceAsKey: true, calculatedByCompany: true }],
    sucursales: [{ strongId: UNIDIGITAL_SANDBOX_SUCURSAL_ID, name: 'Principal' }],
    lastControlNumber: 0,
  };
}

/** A target block that points at a sandbox with the demo account (merge in baseUrl). */
export const UNIDIGITAL_SANDBOX_TARGET_DEFAULTS = {
  type: 'unidigital',
  userName: UNIDIGITAL_SANDBOX_DEMO_USER,
  password: UNIDIGITAL_SANDBOX_DEMO_PASSWORD,
  series: { strongId: UNIDIGITAL_SANDBOX_SERIES_ID, name: UNIDIGITAL_SANDBOX_SERIES_NAME },
} as const;
