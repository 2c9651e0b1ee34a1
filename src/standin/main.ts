/**
 * The stand-in executable: `node --import tsx src/standin/main.ts <ComfyUI flags>`, spawnable
 * exactly like `python main.py <flags>` (same flags, exit codes, log lines).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { ArgError, usageText } from './args.ts';
import { createLogger } from './log.ts';
import { OptionsError, parseOptions } from './options.ts';
import type { StandinOptions } from './options.ts';
import { createStandin } from './server.ts';

function parseOrExit(argv: string[]): StandinOptions {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(`${usageText()}\noptions:\n  -h, --help            show this help message and exit\n`);
    process.exit(0);
  }
  try {
    return parseOptions(argv, process.env);
  } catch (err) {
    if (err instanceof ArgError) {
      process.stderr.write(`${usageText()}main.py: error: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof OptionsError) {
      process.stderr.write(`stand-in: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const opts = parseOrExit(process.argv.slice(2));
  const log = createLogger({ level: opts.logLevel, logStdout: opts.logStdout });
  if (opts.explicit.output) log.info(`Setting output directory to: ${opts.outputDir}`);
  if (opts.explicit.input) log.info(`Setting input directory to: ${opts.inputDir}`);
  if (opts.explicit.temp) log.info(`Setting temp directory to: ${opts.tempDir}`);
  if (!opts.explicit.input) mkdirSync(opts.inputDir, { recursive: true });
  if (!opts.explicit.output) mkdirSync(opts.outputDir, { recursive: true });
  log.info(opts.cpu ? 'Device: cpu' : `Device: cuda:0 Stand-in GPU (device ${opts.cudaDevice ?? 0}) : cudaMallocAsync`);
  log.info('Python version: 3.12.3 (main, Feb  4 2025, 14:48:35) [GCC 13.3.0]');
  log.info('ComfyUI version: 0.27.0');
  const cacheText = { ram: 'Using RAM pressure cache.', classic: 'Using classic cache.', lru: 'Using LRU cache', none: 'Disabling intermediate node cache.' };
  log.info(cacheText[opts.cache.kind]);
  if (opts.quickTestForCi) process.exit(0);
  if (opts.startupDelayMs > 0) await new Promise((r) => setTimeout(r, opts.startupDelayMs));
  const standin = createStandin(opts, { log });
  log.info('Starting server\n');
  try {
    await standin.listen();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      log.error(`Port ${opts.port} is already in use on address ${opts.listenText}. Please close the other application or use a different port with --port.`);
      process.exit(1);
    }
    throw err;
  }
  process.on('SIGINT', () => {
    // Like ComfyUI: SIGINT is a clean exit that also removes the temp folder (SIGTERM is not).
    log.info('Stopped server');
    void standin.close().then(() => {
      rmSync(opts.tempDir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}

void main();
