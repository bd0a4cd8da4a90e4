// Reference side of the MFM parity test and bench: reads one JSON string per
// line on stdin (or from the file given as argument), parses each with mfm-js
// and prints one JSON tree per line — the same protocol as
// `misskey-rs mfm parse --jsonl`. Flags: --simple uses parseSimple;
// --nest-limit=N passes nestLimit.
import { readFileSync } from 'node:fs';
import * as mfm from 'mfm-js';

const args = process.argv.slice(2);
const simple = args.includes('--simple');
const limitArg = args.find((a) => a.startsWith('--nest-limit='));
const nestLimit = limitArg ? Number(limitArg.split('=')[1]) : undefined;
const file = args.find((a) => !a.startsWith('--'));
const text = readFileSync(file ?? 0, 'utf8');
const out = [];
for (const line of text.split('\n')) {
  if (line.trim() === '') continue;
  const input = JSON.parse(line);
  out.push(JSON.stringify(simple ? mfm.parseSimple(input) : mfm.parse(input, { nestLimit })));
}
process.stdout.write(out.join('\n') + '\n');
