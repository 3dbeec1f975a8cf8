/**
 * The Prometheus text exposition format (0.0.4), read back (pure): `name{label="value",…} value`
 * lines, label values with the format's escapes (`\\`, `\"`, `\n`), `# HELP` / `# TYPE` comments
 * skipped, optional timestamps ignored. Lines that break the format are counted, not fatal: one odd
 * line from one proxy must not blank the dashboard.
 */

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

export interface ParsedText {
  samples: Sample[];
  /** Lines that were not comments, blank or valid samples. */
  malformed: number;
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** Parses `text`, keeping only samples whose metric name `keep` accepts (all when omitted). */
export function parsePrometheusText(text: string, keep: (name: string) => boolean = () => true): ParsedText {
  const samples: Sample[] = [];
  let malformed = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = metricName.exec(line)?.[0];
    if (name === undefined) {
      malformed++;
      continue;
    }
    if (!keep(name)) continue;
    const sample = parseSample(line, name);
    if (sample) samples.push(sample);
    else malformed++;
  }
  return { samples, malformed };
}

function parseSample(line: string, name: string): Sample | undefined {
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const key = labelName.exec(line.slice(i))?.[0];
      if (key === undefined) return undefined;
      i += key.length;
      if (line[i] !== '=' || line[i + 1] !== '"') return undefined;
      i += 2;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) return undefined;
        i++;
        if (c === '"') break;
        if (c !== '\\') {
          value += c;
          continue;
        }
        const e = line[i++];
        if (e === 'n') value += '\n';
        else if (e === '\\' || e === '"') value += e;
        else return undefined;
      }
      if (Object.hasOwn(labels, key)) return undefined;
      labels[key] = value;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') return undefined;
  const value = parseValue(rest[0]!);
  return value === undefined ? undefined : { name, labels, value };
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
