/**
 * Builds what the Dockerfile builds, without Docker: each stage is a directory standing in for the
 * stage's WORKDIR; COPY takes files from the build context (filtered by .dockerignore) or, with
 * `--from`, from an earlier stage; RUN runs in the stage's directory. Steps that install operating
 * system packages or users (apt-get, groupadd/useradd) are not run: the machine running the test
 * provides those (CI installs them), and they are returned as `skipped` so a test can show them.
 * The result is the runtime stage's file tree, its ENV, USER and ENTRYPOINT with the WORKDIR paths
 * mapped to that tree — what `docker run <image>` would execute.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseDockerfile, type Stage } from '../kind/dockerfile';
import { copyContext } from './docker-context';

export interface BuiltImage {
  /** The runtime stage's WORKDIR on this machine. */
  root: string;
  /** ENTRYPOINT, its paths under the image's WORKDIR mapped to `root`. */
  entrypoint: string[];
  env: Record<string, string>;
  user: { uid: number; gid: number };
  /** RUN steps left to the machine (OS packages and users). */
  skipped: string[];
}

export interface BuildOptions {
  context: string;
  /** Where the stages' directories are made (one sub-directory per stage). */
  workDir: string;
  /** Extra environment for RUN steps (e.g. npm_config_prefer_offline=true: use the warm npm cache). */
  runEnv?: Record<string, string>;
  log?: (line: string) => void;
}

const systemStep = /^(apt-get|apk|yum|dnf)\b|\b(groupadd|useradd)\b/;

interface StageDir {
  workdir: string;
  dir: string;
}

/** Splits `COPY [--from=x] a b dest` into flags, sources and the destination. */
function copyArgs(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const from = words[0]?.startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
  if (words.some((w) => w.startsWith('--'))) throw new Error(`COPY ${args}: unsupported flag`);
  const dest = words.pop();
  if (!dest || words.length === 0) throw new Error(`COPY ${args}: needs a source and a destination`);
  return { ...(from ? { from } : {}), sources: words, dest };
}

function mapPath(p: string, stage: StageDir): string {
  const abs = path.posix.isAbsolute(p) ? p : path.posix.join(stage.workdir, p);
  const rel = path.posix.relative(stage.workdir, abs);
  if (rel.startsWith('..')) throw new Error(`${p} is outside the stage's WORKDIR ${stage.workdir}`);
  return path.join(stage.dir, rel);
}

function runStage(stage: Stage, index: number, stages: Map<string, StageDir>, options: BuildOptions, env: Record<string, string>, skipped: string[]): StageDir & { user?: string; entrypoint?: string[] } {
  const current: StageDir & { user?: string; entrypoint?: string[] } = { workdir: '/', dir: path.join(options.workDir, stage.name ?? `stage${index}`) };
  fs.mkdirSync(current.dir, { recursive: true });
  for (const { keyword, args, line } of stage.instructions) {
    switch (keyword) {
      case 'WORKDIR':
        if (current.workdir !== '/') throw new Error(`Dockerfile line ${line}: one WORKDIR per stage is supported`);
        current.workdir = args;
        break;
      case 'COPY': {
        const { from, sources, dest } = copyArgs(args);
        const target = mapPath(dest, current);
        if (from === undefined) {
          // The context: `COPY . .` takes all of it, `COPY a b ./` the named files.
          if (sources.length === 1 && sources[0] === '.') copyContext(options.context, target);
          else copyContext(options.context, target, sources);
        } else {
          const source = stages.get(from);
          if (!source) throw new Error(`Dockerfile line ${line}: no stage ${from}`);
          for (const s of sources) {
            const to = dest.endsWith('/') ? path.join(target, path.basename(s)) : target;
            fs.mkdirSync(path.dirname(to), { recursive: true });
            fs.cpSync(mapPath(s, source), to, { recursive: true, verbatimSymlinks: true });
          }
        }
        break;
      }
      case 'RUN': {
        if (systemStep.test(args)) {
          skipped.push(args);
          break;
        }
        options.log?.(`RUN ${args}`);
        const r = spawnSync('sh', ['-c', args], { cwd: current.dir, env: { ...process.env, ...env, ...options.runEnv }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
        if (r.status !== 0) throw new Error(`Dockerfile line ${line}: RUN ${args} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
        break;
      }
      case 'ENV': {
        const m = /^(\w+)[=\s](.*)$/.exec(args);
        if (!m) throw new Error(`Dockerfile line ${line}: ENV ${args}`);
        // `$VAR` from earlier ENV or the base image (this machine's PATH stands in for the base's);
        // paths under WORKDIR mapped to the stage's directory.
        const value = m[2]!.replace(/^"(.*)"$/, '$1').replace(/\$\{?(\w+)\}?/g, (_, name: string) => env[name] ?? process.env[name] ?? '');
        env[m[1]!] = current.workdir === '/' ? value : value.split(`${current.workdir}/`).join(`${current.dir}/`);
        break;
      }
      case 'USER':
        current.user = args;
        break;
      case 'ENTRYPOINT':
        current.entrypoint = JSON.parse(args) as string[];
        break;
      case 'ARG': case 'CMD': case 'LABEL': case 'EXPOSE':
        break;
      default:
        throw new Error(`Dockerfile line ${line}: ${keyword} is not supported by this builder`);
    }
  }
  return current;
}

export function buildImage(options: BuildOptions): BuiltImage {
  const { stages } = parseDockerfile(fs.readFileSync(path.join(options.context, 'Dockerfile'), 'utf8'));
  const dirs = new Map<string, StageDir>();
  const skipped: string[] = [];
  let last: ReturnType<typeof runStage> | undefined;
  let env: Record<string, string> = {};
  stages.forEach((stage, i) => {
    env = {}; // ENV does not carry from one stage to the next
    last = runStage(stage, i, dirs, options, env, skipped);
    dirs.set(stage.name ?? String(i), last);
  });
  if (!last?.entrypoint) throw new Error('the last stage has no ENTRYPOINT');
  const [uid, gid] = (last.user ?? '0:0').split(':').map(Number);
  const final = last;
  return {
    root: final.dir,
    entrypoint: final.entrypoint!.map((arg) => (arg.startsWith(`${final.workdir}/`) ? mapPath(arg, final) : arg)),
    env,
    user: { uid: uid!, gid: gid ?? uid! },
    skipped,
  };
}
