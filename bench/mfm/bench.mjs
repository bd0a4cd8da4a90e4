// mfm-js side of the MFM bench: parses every note of a JSONL corpus (see
// gen_notes.mjs) with mfm-js `parse`, several rounds, and prints throughput.
// Usage: node bench.mjs notes.jsonl [rounds]
// mfm-js is taken from tests/mfm/node_modules (run `npm ci` there first).
import { readFileSync } from 'node:fs';
import * as mfm from '../../tests/mfm/node_modules/mfm-js/built/index.mjs';

const notes = readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const rounds = Number(process.argv[3] ?? 5);
const bytes = notes.reduce((n, s) => n + Buffer.byteLength(s), 0);
for (const s of notes.slice(0, 2000)) mfm.parse(s); // warm-up (JIT)
let best = Infinity;
for (let r = 0; r < rounds; r++) {
  const t = process.hrtime.bigint();
  for (const s of notes) mfm.parse(s);
  best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
}
console.log(`mfm-js parse: ${notes.length} notes, ${(bytes / 1e6).toFixed(2)} MB, best of ${rounds}: ${(best * 1000).toFixed(1)} ms = ${(bytes / 1e6 / best).toFixed(2)} MB/s, ${Math.round(notes.length / best)} notes/s`);
