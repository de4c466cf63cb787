export const PUENTE_VERSION = '0.1.0';
