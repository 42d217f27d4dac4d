// Several `npm run bench:features` (or `npm run bench`) runs as one table: per row, the median of the runs' median
// ratios, the median over every round of every run, and the runs' own figures, plus the added latency at the fixed
// rate. A run's JSON holds its rounds (bench/results/<start>.json), so nothing is measured here.
//   node bench/summarize.mjs bench/results/A.json bench/results/B.json bench/results/C.json
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node bench/summarize.mjs <results.json> [<results.json> ...]');
  process.exit(2);
}
const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));

function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

const fmt = (x, digits = 2) => (x == null ? '-' : x.toFixed(digits));
const nodes = [...new Set(runs.map((r) => r.node))].join(', ');
console.log(
  `${runs.length} run(s), node ${nodes}, commits ${[...new Set(runs.map((r) => r.commit ?? '?'))].join(', ')}`,
);

const labels = [...new Set(runs.flatMap((r) => (r.ratios ?? []).map((x) => x.label)))];
console.log('\n| ratio | median of runs | median of all rounds | runs | p99 ratio (median of runs) |');
console.log('| --- | --- | --- | --- | --- |');
for (const label of labels) {
  const per = runs.map((r) => (r.ratios ?? []).find((x) => x.label === label)).filter(Boolean);
  const rounds = per.flatMap((x) => x.rpsRounds ?? [x.rps]);
  console.log(
    `| ${label} | ${fmt(median(per.map((x) => x.rps)))} | ${fmt(median(rounds))} (${rounds.length}) | ${per
      .map((x) => fmt(x.rps))
      .join(' ')} | ${fmt(median(per.map((x) => x.p99)))} |`,
  );
}

const keys = [...new Set(runs.flatMap((r) => (r.fixedLatency ?? []).map((x) => x.key)))];
if (keys.length) {
  console.log('\n| row | added p50 at the fixed rate, ms (median of runs) | added p99, ms |');
  console.log('| --- | --- | --- |');
  for (const key of keys) {
    const per = runs.map((r) => (r.fixedLatency ?? []).find((x) => x.key === key)).filter(Boolean);
    console.log(
      `| ${per[0].label ?? key} | ${fmt(median(per.map((x) => x.addedP50)))} | ${fmt(median(per.map((x) => x.addedP99)))} |`,
    );
  }
}
