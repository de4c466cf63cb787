/** Input that the domain refuses (a bad tax id, amounts that do not add up), with the field path. */
export class DomainError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'DomainError';
    this.path = path;
  }
}
