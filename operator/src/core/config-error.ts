/** A problem with one piece of configuration, located as precisely as we can: file, document, field. */
export interface ConfigError {
  /** File the object came from (absent for objects from the API server). */
  file?: string;
  /** 0-based index of the YAML document in the file. */
  document?: number;
  /** `kind/namespace/name` when known. */
  object?: string;
  /** Field path like `spec.http[0].route[1].weight`. */
  path: string;
  message: string;
}

export function formatConfigError(e: ConfigError): string {
  const where = [e.file, e.document !== undefined ? `document ${e.document}` : undefined, e.object].filter(Boolean).join(' ');
  return `${where ? `${where}: ` : ''}${e.path ? `${e.path}: ` : ''}${e.message}`;
}
