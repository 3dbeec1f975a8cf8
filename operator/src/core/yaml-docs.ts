/** Multi-document YAML → objects, with errors located by document index and field path. */
import { parseAllDocuments } from 'yaml';
import { type ConfigError } from './config-error';
import { type KubeObject, objectKey, withDefaultNamespace } from './kube';
import { type ResourceValidator, validateObject } from './validation';

export interface ParsedFile {
  objects: KubeObject[];
  errors: ConfigError[];
}

export function parseConfigFile(file: string, text: string, crdValidator?: ResourceValidator): ParsedFile {
  const objects: KubeObject[] = [];
  const errors: ConfigError[] = [];
  const seen = new Map<string, number>();
  parseAllDocuments(text).forEach((doc, document) => {
    if (doc.errors.length) {
      for (const e of doc.errors) errors.push({ file, document, path: '', message: `invalid YAML at line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}` });
      return;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return; // empty document (e.g. trailing ---)
    const objectErrors = validateObject(value, crdValidator);
    if (objectErrors.length) {
      const obj = value as Partial<KubeObject>;
      const object = obj.kind && obj.metadata?.name ? objectKey(obj as KubeObject) : undefined;
      for (const e of objectErrors) errors.push({ ...e, file, document, object });
      return;
    }
    const obj = withDefaultNamespace(value as KubeObject);
    const key = objectKey(obj);
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push({ file, document, object: key, path: 'metadata.name', message: `duplicate: ${key} is also defined in document ${first}` });
      return;
    }
    seen.set(key, document);
    objects.push(obj);
  });
  return { objects, errors };
}
