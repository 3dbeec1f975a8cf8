/** Multi-document YAML → objects, with errors located by document index and field path. */
import { parseYamlDocuments } from '../../../api/src/crd/yaml';
import { type ConfigError } from './config-error';
import { type KubeObject, objectKey, withDefaultNamespace } from './kube';
import { type ResourceValidator, admittedObject, validateObject } from './validation';

export interface ParsedFile {
  objects: KubeObject[];
  errors: ConfigError[];
}

export function parseConfigFile(file: string, text: string, crdValidator?: ResourceValidator): ParsedFile {
  const objects: KubeObject[] = [];
  const errors: ConfigError[] = [];
  const seen = new Map<string, number>();
  for (const doc of parseYamlDocuments(text)) {
    const document = doc.index;
    if (doc.syntaxErrors.length) {
      for (const e of doc.syntaxErrors) errors.push({ file, document, line: e.line, path: '', message: `invalid YAML: ${e.message}` });
      continue;
    }
    const value = doc.value;
    const objectErrors = validateObject(value, crdValidator);
    if (objectErrors.length) {
      const obj = value as Partial<KubeObject>;
      const object = obj.kind && obj.metadata?.name ? objectKey(obj as KubeObject) : undefined;
      for (const e of objectErrors) errors.push({ ...e, file, document, line: doc.lineOf(e.path), object });
      continue;
    }
    const obj = admittedObject(withDefaultNamespace(value as KubeObject));
    const key = objectKey(obj);
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push({ file, document, line: doc.lineOf('metadata.name'), object: key, path: 'metadata.name', message: `duplicate: ${key} is also defined in document ${first}` });
      continue;
    }
    seen.set(key, document);
    objects.push(obj);
  }
  return { objects, errors };
}
