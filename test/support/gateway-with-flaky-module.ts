// The real gateway (src/main.ts, unchanged) with one more v2 module, `module:flaky`, registered before it boots:
// a module that fails on demand, which no production module does. Tracing first, as in main.ts: its
// instrumentations hook into undici and ioredis as they load.
import '../../src/telemetry/start-tracing';
import { V2_MODULES } from '../../src/v2/modules';
import { FlakyModule } from './flaky-module';

V2_MODULES.flaky = FlakyModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- main runs on load, so after the line above
require('../../src/main');
