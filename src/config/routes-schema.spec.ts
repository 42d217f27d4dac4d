import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from './config-error';
import { loadRoutes } from './load-config';

/** A routes.yaml with one new-side route; `extra` is its further lines (indented by 4). */
function routesFile(extra: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'figway-cfg-')), 'routes.yaml');
  const route = '  - id: reports\n    path: /api/v1/reports/*\n    target: http://new.internal:9000\n';
  writeFileSync(file, `routes:\n${route}${extra}`);
  return file;
}

function problems(extra: string): string[] {
  try {
    loadRoutes(routesFile(extra));
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  return assert.fail('expected a ConfigError');
}

const rolloutOf = (extra: string) => loadRoutes(routesFile(extra))[0].rollout;

const SHADOW_NEW = '    shadow: { to: new }\n';

test('the contract example loads as written', () => {
  const r = rolloutOf(
    `${SHADOW_NEW}    rollout:\n      steps: [0, 1, 5, 25, 50, 100]\n      step_interval_s: 60\n      min_requests: 50\n` +
      '      gates: { max_error_rate: 0.01, max_latency_ratio: 1.5, max_diff_rate: 0.01 }\n      on_failure: hold\n',
  );
  assert.deepEqual(r, {
    steps: [0, 1, 5, 25, 50, 100],
    step_interval_s: 60,
    min_requests: 50,
    gates: { max_error_rate: 0.01, max_latency_ratio: 1.5, max_diff_rate: 0.01 },
    on_failure: 'hold',
  });
});

test('defaults: step_interval_s 300, min_requests 200, no gates, on_failure rollback', () => {
  assert.deepEqual(rolloutOf('    rollout: { steps: [1, 100] }\n'), {
    steps: [1, 100],
    step_interval_s: 300,
    min_requests: 200,
    gates: {},
    on_failure: 'rollback',
  });
});

test('steps must rise strictly and end at 100', () => {
  for (const steps of ['[0, 5, 5, 100]', '[0, 25, 5, 100]', '[100, 100]']) {
    const found = problems(`${SHADOW_NEW}    rollout: { steps: ${steps} }\n`);
    assert.ok(
      found.some((p) => p.startsWith('routes[0] (reports) rollout.steps: ') && /must rise strictly/.test(p)),
      `${steps}: ${found.join('\n')}`,
    );
  }
  for (const steps of ['[0, 5, 50]', '[1]']) {
    const found = problems(`${SHADOW_NEW}    rollout: { steps: ${steps} }\n`);
    assert.ok(
      found.some((p) => /rollout\.steps: must end at 100/.test(p)),
      `${steps}: ${found.join('\n')}`,
    );
  }
  for (const steps of ['[]', '[0, 50.5, 100]', '[0, 101]', '[-1, 100]'])
    assert.ok(problems(`${SHADOW_NEW}    rollout: { steps: ${steps} }\n`).length > 0, steps);
  assert.deepEqual(rolloutOf('    rollout: { steps: [100] }\n')!.steps, [100]);
});

test('step 0 requires shadow: {to: new}', () => {
  const none = problems('    rollout: { steps: [0, 100] }\n');
  assert.ok(
    none.some((p) => p.startsWith('routes[0] (reports) rollout.steps: ') && /shadow: \{to: new\}/.test(p)),
    none.join('\n'),
  );
  const toLegacy = problems('    shadow: { to: legacy }\n    rollout: { steps: [0, 100] }\n');
  assert.ok(
    toLegacy.some((p) => /shadow: \{to: new\}/.test(p)),
    toLegacy.join('\n'),
  );
  assert.deepEqual(rolloutOf(`${SHADOW_NEW}    rollout: { steps: [0, 100] }\n`)!.steps, [0, 100]);
});

test('max_diff_rate requires shadow:', () => {
  const found = problems('    rollout: { steps: [1, 100], gates: { max_diff_rate: 0.01 } }\n');
  assert.ok(
    found.some((p) => p.startsWith('routes[0] (reports) rollout.gates.max_diff_rate: ') && /shadow/.test(p)),
    found.join('\n'),
  );
  const r = rolloutOf('    shadow: { to: legacy }\n    rollout: { steps: [1, 100], gates: { max_diff_rate: 0.01 } }\n');
  assert.equal(r!.gates.max_diff_rate, 0.01);
});

test('rollout: only on a new-side route, with legacy_path on a module route; unknown keys are named', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'figway-cfg-')), 'routes.yaml');
  writeFileSync(
    file,
    'routes:\n  - id: old\n    path: /a\n    target: legacy\n    rollout: { steps: [1, 100] }\n' +
      '  - id: chat\n    path: /b\n    target: module:chat\n    rollout: { steps: [1, 100] }\n',
  );
  assert.throws(
    () => loadRoutes(file),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.problems.some((p) => p.startsWith('routes[0] (old) rollout: only for a route whose target')) &&
      err.problems.some((p) => p.startsWith('routes[1] (chat) legacy_path: required with')),
  );
  const found = problems('    rollout: { steps: [1, 100], on_failure: retry, gates: { max_p99: 2 }, speed: 3 }\n');
  assert.ok(
    found.some((p) => /rollout: unknown key "speed"/.test(p)),
    found.join('\n'),
  );
  assert.ok(
    found.some((p) => /rollout\.gates: unknown key "max_p99"/.test(p)),
    found.join('\n'),
  );
  assert.ok(
    found.some((p) => /rollout\.on_failure: /.test(p)),
    found.join('\n'),
  );
});
