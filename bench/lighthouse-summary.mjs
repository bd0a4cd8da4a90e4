// Prints the median run (by performance score) of Lighthouse JSON reports, with the spread of
// the performance score and any accessibility or best-practice audit that did not pass.
// Usage: node bench/lighthouse-summary.mjs LABEL REPORT.json...
import { readFileSync } from 'node:fs';

const [label, ...files] = process.argv.slice(2);
const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
const score = (r, k) => Math.round(r.categories[k].score * 100);
runs.sort((a, b) => score(a, 'performance') - score(b, 'performance'));
const r = runs[Math.floor(runs.length / 2)];
const a = r.audits;
const perf = runs.map((x) => score(x, 'performance'));
console.log(
  `Lighthouse ${r.lighthouseVersion} (${label}, median of ${runs.length}): performance ${score(r, 'performance')} ` +
    `(${perf[0]}–${perf[perf.length - 1]}), accessibility ${score(r, 'accessibility')}, best practices ${score(r, 'best-practices')}; ` +
    ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'cumulative-layout-shift']
      .map((k) => `${a[k].title.replace(/ \(.*/, '')} ${a[k].displayValue}`).join(', '),
);
for (const k of ['accessibility', 'best-practices']) {
  for (const ref of r.categories[k].auditRefs) {
    const x = a[ref.id];
    if (ref.weight > 0 && x.score !== null && x.score < 1) console.log(`  ${k}: ${x.id} — ${x.title}`);
  }
}
