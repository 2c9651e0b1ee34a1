// Builds what the benchmarks run, the way a deployment would run it: plain JavaScript bundles
// made by esbuild from the same sources, instead of transpiling TypeScript at every start with
// tsx. Booting through tsx costs ~0.6-1 s of CPU and ~35 MB of RSS per process; on a small
// machine that alone serialises the parallel start of eight stand-ins.
//   - the stand-in: one self-contained bundle in a temp directory (its node definitions, JSON
//     files read next to it, are copied along), given to the pool as COMFY_COMMAND, so the
//     supervisor spawns it through its one code path exactly like `python main.py`;
//   - the service (bench/lib/server.ts + src/ + routes/): dependencies stay external (native
//     better-sqlite3 etc.), so the bundle lives under node_modules/.cache/ where they resolve.
// `import.meta.url` / `import.meta.dirname` are pinned to each source file's own location so
// files found relative to a module (migrations, package.json, web/) are found as before.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const pinImportMeta: Plugin = {
  name: 'pin-import-meta',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = (await readFile(args.path, 'utf8'))
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path)));
      return { contents: text, loader: 'ts' };
    });
  },
};

const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error' } as const;

let standin: Promise<string[]> | undefined;
let service: Promise<string[]> | undefined;

/** The stand-in bundle's argv prefix (built once per process). */
export function standinBundle(): Promise<string[]> {
  standin ??= (async () => {
    const srcDir = fileURLToPath(new URL('../../src/standin/', import.meta.url));
    const outDir = mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-standin-'));
    const outfile = path.join(outDir, 'main.mjs');
    await build({
      ...common,
      entryPoints: [path.join(srcDir, 'main.ts')],
      outfile,
      // CommonJS dependencies inside an ESM bundle still call require().
      banner: { js: "import { createRequire as __fleetRequire } from 'node:module'; const require = __fleetRequire(import.meta.url);" },
    });
    // The registry reads its node definitions next to itself (new URL('./x.json', import.meta.url)).
    for (const f of readdirSync(srcDir)) if (f.endsWith('.json')) copyFileSync(path.join(srcDir, f), path.join(outDir, f));
    return [process.execPath, outfile];
  })();
  return standin;
}

/** COMFY_COMMAND for the stand-in bundle (temp dir and node binary paths have no spaces). */
export async function standinBundleCommand(): Promise<string> {
  return (await standinBundle()).join(' ');
}

/** The service bundle's argv prefix; BENCH_SERVICE=tsx runs the TypeScript through tsx instead. */
export function serviceCommand(): Promise<string[]> {
  const entry = fileURLToPath(new URL('./server.ts', import.meta.url));
  if (process.env.BENCH_SERVICE === 'tsx') return Promise.resolve([process.execPath, '--import', 'tsx', entry]);
  service ??= (async () => {
    const outDir = fileURLToPath(new URL('../../node_modules/.cache/comfy-fleet-bench/', import.meta.url));
    mkdirSync(outDir, { recursive: true });
    const outfile = path.join(outDir, 'server.mjs');
    await build({ ...common, entryPoints: [entry], outfile, packages: 'external', plugins: [pinImportMeta] });
    return [process.execPath, outfile];
  })();
  return service;
}

/** What runs the service in this benchmark process: 'bundle' or 'tsx'. */
export const serviceRuntime = (): 'bundle' | 'tsx' => (process.env.BENCH_SERVICE === 'tsx' ? 'tsx' : 'bundle');
