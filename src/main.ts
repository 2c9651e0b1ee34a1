// Entry point: config → app → listen; SIGTERM/SIGINT close the app (stop accepting, finish
// in-flight requests, let services shut down) and exit.
import { buildApp } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`comfy-fleet: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const app = await buildApp(config);
  if (config.comfy.simulated) {
    app.log.warn({ spawnCount: config.comfy.spawnCount }, 'no ComfyUI configured: running SIMULATED stand-in backends (set COMFY_PATH, COMFY_COMMAND or COMFY_SERVERS for real ones)');
  }
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await app.listen({ port: config.port, host: config.host });
}

main().catch((err: unknown) => {
  process.stderr.write(`comfy-fleet: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
