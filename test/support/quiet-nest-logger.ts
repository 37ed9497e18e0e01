/**
 * Jest setup file, run in each test file's context. Services that a test
 * builds by hand (outside an application, e.g. `new KeysService(…)`) log
 * through Nest's static Logger, which prints every `log` line to the
 * terminal; inside an application the project's logger takes over
 * (`app.useLogger`), and test applications run with LOG_LEVEL=silent.
 * Hand-built services follow the same rule: silent unless TEST_LOG_LEVEL
 * asks for more (the level names are the application's: info, warn, …).
 */
import { Logger, type LogLevel } from '@nestjs/common';

const NEST_LEVELS: Record<string, LogLevel[]> = {
  trace: ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'],
  debug: ['debug', 'log', 'warn', 'error', 'fatal'],
  info: ['log', 'warn', 'error', 'fatal'],
  warn: ['warn', 'error', 'fatal'],
  error: ['error', 'fatal'],
  fatal: ['fatal'],
};

Logger.overrideLogger(NEST_LEVELS[process.env.TEST_LOG_LEVEL ?? 'silent'] ?? false);
