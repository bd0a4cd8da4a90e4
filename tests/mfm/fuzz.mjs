// Differential fuzzing helper (not part of CI): writes N seeded random MFM
// token soups as JSONL to stdout. Compare with:
//   node fuzz.mjs 20000 7 > f.jsonl && node parse.mjs f.jsonl > js.jsonl
//   misskey-rs mfm parse --jsonl < f.jsonl > rs.jsonl && cmp js.jsonl rs.jsonl
const n = Number(process.argv[2] ?? 1000);
let seed = Number(process.argv[3] ?? 1);
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const tokens = [
  '**', '*', '_', '__', '~~', '***', '<b>', '</b>', '<small>', '</small>', '<i>', '</i>', '<s>', '</s>',
  '<center>', '</center>', '<plain>', '</plain>', '$[', '$[x2 ', '$[a.b=c,d ', '.', '=', ']', '[', '](', ')',
  '(', '?[', 'https://', 'http://e.com/', 'h', '<https://a', '@', '@u', '@u@h.t', '#', '#t', ':', ':s:', '`',
  '```', '\\(', '\\)', '\\[', '\\]', '>', '> ', '\n', '\n', '\r', '\r\n', ' ', ' ', '\u3000', '\t', 'a', 'x1',
  '9', '日本', '😀', '1️⃣', '\u{fe0f}', '\u20e3', ' search', ' 検索', ' [search]', ',', '-', '「', '」', '（',
  '）', '´', '<', '>', 'A', '_a_', '*a*', '#1', '【', 'ſ',
];
const out = [];
for (let i = 0; i < n; i++) {
  const len = 1 + Math.floor(rand() * (rand() < 0.1 ? 60 : 15));
  let s = '';
  for (let j = 0; j < len; j++) s += pick(tokens);
  out.push(JSON.stringify(s));
}
process.stdout.write(out.join('\n') + '\n');
