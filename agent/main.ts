#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { Agent } from './agent.js';
import { ConfigError, loadConfig } from './config/load.js';
import { whereToLook, whereToLookMessage } from './config/where-to-look.js';
import { errorMessage, EXIT_CONFIG, EXIT_RUNTIME, isConfigError, VigilError } from './errors.js';
import { createLogger, resolveLogFormat } from './log.js';
import { makeDynamicBatchCopy } from './model-tools/dynamic-batch-file.js';
import { ServiceNotifier } from './systemd/service-notifier.js';
import { startNativeLogCapture } from './util/stderr-capture.js';
import { VERSION } from './version.js';

const USAGE = `vigil ${VERSION} - edge video analytics agent

Usage:
  vigil run --config FILE        run the agent
  vigil --validate-config FILE   check a config file and exit (0 valid, 2 invalid)
  vigil model dynamic-batch IN OUT
                                 copy a detector model exported with batch 1 into
                                 one that takes inference.batch_size > 1, and check it
  vigil --version

Exit codes: 0 clean stop, 1 runtime failure, 2 bad config or model.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      'validate-config': { type: 'string' },
      version: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.version) return print(VERSION, 0);
  if (values.help) return print(USAGE, 0);
  if (values['validate-config']) return validate(values['validate-config']);
  if (positionals[0] === 'model' && positionals[1] === 'dynamic-batch' && positionals.length === 4) {
    return makeDynamicBatchCopy(positionals[2]!, positionals[3]!).then(
      (report) => print(report, 0),
      (err: unknown) => print(`${positionals[2]}: ${errorMessage(err)}`, 2, true),
    );
  }
  if (positionals[0] !== 'run' || !values.config) return print(USAGE, 2, true);
  return run(values.config);
}

function validate(file: string): number {
  try {
    loadConfig(file);
    return print(`${file}: valid`, 0);
  } catch (err) {
    return print(errorMessage(err), isConfigError(err) ? EXIT_CONFIG : EXIT_RUNTIME, true);
  }
}

async function run(file: string): Promise<number> {
  let config;
  try {
    config = loadConfig(file);
  } catch (err) {
    return print(errorMessage(err), err instanceof ConfigError || isConfigError(err) ? EXIT_CONFIG : EXIT_RUNTIME, true);
  }
  // Native libraries' stderr into the log (issue 17). First: its exit handler must run before pino's final flush.
  const nativeLog = startNativeLogCapture(config.log.native_level);
  const logger = createLogger(config.log.level, undefined, resolveLogFormat(config.log.format, process.stdout.isTTY === true));
  nativeLog.attach(logger);
  if (!nativeLog.captured && config.log.native_level !== 'silent') {
    logger.warn('native/stderr-capture is not built (npm run build:native): FFmpeg, GStreamer and OpenCV messages stay raw lines on stderr');
  }
  const agent = new Agent(config, logger, [], file);
  const systemd = new ServiceNotifier(logger.child({ component: 'systemd' }));
  // systemctl reload vigil (ExecReload) and kill -HUP: read the config again, apply what changed (issue 17). Installed
  // before the start, where Node's default would end the process; a reload before the agent runs is refused and logged.
  process.on('SIGHUP', () => {
    systemd.reloading();
    void agent.reload('SIGHUP').then((outcome) => {
      const cameras = agent.cameraCount;
      systemd.ready(`running: ${cameras} camera(s), http port ${agent.httpPort}${outcome.ok ? '' : ', last reload refused'}`);
    });
  });
  try {
    // Model loading (a TensorRT engine build) can outlast systemd's start timeout: ask for more while it runs.
    // A failed start has already stopped whatever it had started.
    await systemd.extendWhile(agent.start(), 'loading models');
  } catch (err) {
    logger.fatal({ code: err instanceof VigilError ? err.code : undefined }, errorMessage(err));
    logger.flush();
    return isConfigError(err) ? EXIT_CONFIG : EXIT_RUNTIME;
  }
  const cameras = config.cameras.filter((c) => c.enabled).length;
  systemd.ready(`running: ${cameras} camera(s), http port ${agent.httpPort}`);
  const where = whereToLook(config, agent.httpPort);
  logger.info(where, whereToLookMessage(where));
  systemd.startWatchdog(() => agent.liveness());
  const exitCode = await new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'stopping');
      resolve(0);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    agent.on('fatal', (err) => {
      logger.fatal({ code: err instanceof VigilError ? err.code : undefined }, errorMessage(err));
      resolve(EXIT_RUNTIME);
    });
  });
  systemd.stopping();
  // Bounded by the agent's shutdown budget: a stage that hangs is left behind, and the exit below does not wait for it.
  await agent.stop();
  logger.flush();
  return exitCode;
}

function print(text: string, code: number, toStderr = false): number {
  (toStderr ? process.stderr : process.stdout).write(`${text}\n`);
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Worker threads and sockets are closed by now; exit promptly even if a library left a timer behind.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err: unknown) => {
    process.stderr.write(`vigil: ${errorMessage(err)}\n`);
    process.exit(EXIT_RUNTIME);
  },
);
