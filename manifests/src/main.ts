/**
 * `npm run manifests`: `node dist/manifests/src/main.js [-f values.yaml] [--set key=value …] > manifests/install.yaml`.
 * The same values as `skein install` (./values.ts); --image, --replicas and --trust-domain are
 * kept as shorthands for --set of those keys.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { installYaml } from './install';
import { fileLayer, resolveValues, setLayer, type ValuesLayer, ValuesError, valuesHelp } from './values';

const usage = `Usage: main.js [-f values.yaml …] [--set key=value …]

Values:
${valuesHelp()}`;

function main(argv: string[]): number {
  let layers: ValuesLayer[];
  try {
    const { values } = parseArgs({
      args: argv, strict: true,
      options: {
        values: { type: 'string', short: 'f', multiple: true }, set: { type: 'string', multiple: true },
        image: { type: 'string' }, replicas: { type: 'string' }, 'trust-domain': { type: 'string' },
      },
    });
    const shorthands = { image: values.image, replicas: values.replicas, trustDomain: values['trust-domain'] };
    layers = [
      ...(values.values ?? []).map((file) => fileLayer(file, readFileSync(file, 'utf8'))),
      ...Object.entries(shorthands).filter(([, v]) => v !== undefined).map(([k, v]) => setLayer(`${k}=${v}`)),
      ...(values.set ?? []).map(setLayer),
    ];
    process.stdout.write(installYaml(resolveValues(layers)));
    return 0;
  } catch (err) {
    process.stderr.write(`manifests: ${(err as Error).message}\n${err instanceof ValuesError ? '' : `${usage}\n`}`);
    return err instanceof ValuesError ? 1 : 2;
  }
}

process.exitCode = main(process.argv.slice(2));
