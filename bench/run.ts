/**
 * `npm run bench [name…]`: runs the benchmarks under bench/ (compiled to dist/bench/) one after
 * another and prints their tables. Each benchmark is a module exporting `run(): Promise<void>`.
 */
import fs from 'node:fs';
import path from 'node:path';

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.bench.js')).sort();
  const selected = files.filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(`${w}.`)));
  if (selected.length === 0) throw new Error(`no benchmark matches ${wanted.join(', ')}; have: ${files.join(', ')}`);
  for (const file of selected) {
    console.log(`\n== ${file.replace('.bench.js', '')} ==`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- benchmarks are discovered at run time
    const mod = require(path.join(__dirname, file)) as { run(): Promise<void> };
    await mod.run();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
