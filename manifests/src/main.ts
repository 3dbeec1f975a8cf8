/** `node dist/manifests/src/main.js [--image IMAGE] [--replicas N] [--trust-domain TD] > manifests/install.yaml` */
import { parseArgs } from 'node:util';
import { installYaml } from './install';

function main(argv: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: { image: { type: 'string' }, replicas: { type: 'string' }, 'trust-domain': { type: 'string' } } }));
  } catch (err) {
    process.stderr.write(`manifests: ${(err as Error).message}\nUsage: main.js [--image IMAGE] [--replicas N] [--trust-domain TD]\n`);
    return 2;
  }
  const replicas = values.replicas === undefined ? undefined : Number(values.replicas);
  if (replicas !== undefined && !(Number.isInteger(replicas) && replicas >= 1)) {
    process.stderr.write(`manifests: --replicas must be a positive integer, got "${values.replicas}"\n`);
    return 2;
  }
  process.stdout.write(installYaml({ image: values.image, replicas, trustDomain: values['trust-domain'] }));
  return 0;
}

process.exitCode = main(process.argv.slice(2));
