/** A small Dockerfile reader for tests: instructions (continuations joined, comments dropped) grouped by stage. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.trimEnd().endsWith('\\') && i + 1 < lines.length) {
      line = line.trimEnd().slice(0, -1).trimEnd() + ' ' + lines[++i]!.trim();
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: cannot parse "${line}"`);
    const keyword = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    if (keyword === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!f) throw new Error(`Dockerfile line ${start + 1}: bad FROM`);
      const from = f[1]!.replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? `\${${name}}`);
      stages.push({ from, ...(f[2] ? { name: f[2] } : {}), instructions: [] });
    } else if (keyword === 'ARG' && stages.length === 0) {
      const [name, value] = rest.split('=');
      args[name!] = value ?? '';
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`Dockerfile line ${start + 1}: ${keyword} before FROM`);
      stage.instructions.push({ keyword, args: rest, line: start + 1 });
    }
  }
  return { args, stages };
}
