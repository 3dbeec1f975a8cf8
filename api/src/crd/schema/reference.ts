/**
 * The documentation interpreter of the schema DSL: Markdown field tables, so that
 * docs/policy-api.md cannot drift from what the validator accepts. Titled objects (Istio message
 * names such as `HTTPRoute`) get one table each and are linked from where they are used.
 */
import { type ObjectSchema, type Schema, fieldSchema } from './dsl';
import { describeRange } from './validate';

const anchor = (title: string): string => title.toLowerCase();
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeText(schema: Schema, queue: ObjectSchema[]): string {
  switch (schema.kind) {
    case 'string':
      return schema.format ? `string (${schema.format.name})` : 'string';
    case 'int':
      return `integer ${describeRange(schema.min, schema.max)}`;
    case 'number':
      return `number ${schema.min}..${schema.max}`;
    case 'bool':
      return 'boolean';
    case 'enum':
      return schema.values.map((v) => `\`${v}\``).join(', ');
    case 'array':
      return `list of ${typeText(schema.items, queue)}`;
    case 'map':
      return `map of ${schema.keys?.name ?? 'name'} → ${typeText(schema.values, queue)}`;
    case 'object':
      if (schema.title === undefined) return 'object';
      if (!queue.some((q) => q.title === schema.title)) queue.push(schema);
      return `[${schema.title}](#${anchor(schema.title)})`;
  }
}

function rulesText(schema: Schema, isRequired: boolean): string {
  const rules: string[] = [];
  if (isRequired) rules.push('required');
  const target = schema.kind === 'array' ? schema.items : schema;
  if (schema.kind === 'array' && schema.minItems) rules.push(`at least ${schema.minItems} item(s)`);
  if (target.kind === 'enum') {
    const rejected = Object.keys(target.rejected);
    if (rejected.length > 0) rules.push(`rejected: ${rejected.map((v) => `\`${v}\``).join(', ')}`);
  }
  if (target.kind === 'object' && target.title === undefined) {
    for (const group of target.oneOf) rules.push(`${group.required ? 'exactly' : 'at most'} one of ${group.fields.join(', ')}`);
  }
  return rules.join('; ');
}

/** Table rows for the fields of `schema` (nested untitled objects inline), and its rules in words. */
function rows(schema: ObjectSchema, prefix: string, queue: ObjectSchema[], out: string[], rules: string[]): void {
  const where = prefix === '' ? '' : `\`${prefix.replace(/\.$/, '')}\`: `;
  for (const check of schema.checks) rules.push(`${where}${check.rule}`);
  for (const [name, field] of Object.entries(schema.fields)) {
    const path = `${prefix}${name}`;
    if (field.kind === 'unsupported') {
      out.push(`| \`${path}\` | — | **rejected** | ${cell(field.reason ? `Not supported by Skein: ${field.reason}.` : 'Not supported by Skein.')} |`);
      continue;
    }
    const s = fieldSchema(field)!;
    out.push(`| \`${path}\` | ${cell(typeText(s, queue))} | ${cell(rulesText(s, field.kind === 'required'))} | ${cell(s.description ?? '')} |`);
    if (s.kind === 'array') for (const check of s.checks) rules.push(`\`${path}\`: ${check.rule}`);
    const inner = s.kind === 'array' ? s.items : s.kind === 'map' ? s.values : s;
    const sep = s.kind === 'array' ? '[].' : s.kind === 'map' ? '.*.' : '.';
    if (inner.kind === 'object' && inner.title === undefined) rows(inner, `${path}${sep}`, queue, out, rules);
  }
}

function table(schema: ObjectSchema, queue: ObjectSchema[]): string {
  const out = ['| Field | Type | Rules | Description |', '|---|---|---|---|'];
  const rules: string[] = schema.oneOf.map((g) => `${g.required ? 'exactly' : 'at most'} one of ${g.fields.map((f) => `\`${f}\``).join(', ')}`);
  rows(schema, '', queue, out, rules);
  return [...(schema.description ? [schema.description, ''] : []), ...out, ...(rules.length > 0 ? ['', 'Rules:', ...rules.map((r) => `- ${r}`)] : [])].join('\n');
}

/** Tables for each top-level spec, then one per titled type reachable from them. */
export function referenceMarkdown(specs: readonly { heading: string; schema: ObjectSchema }[]): string {
  const queue: ObjectSchema[] = [];
  const sections = specs.map(({ heading, schema }) => `### ${heading}\n\n${table(schema, queue)}\n`);
  for (let i = 0; i < queue.length; i++) {
    const s = queue[i]!;
    sections.push(`### ${s.title}\n\n${table(s, queue)}\n`);
  }
  return sections.join('\n');
}
