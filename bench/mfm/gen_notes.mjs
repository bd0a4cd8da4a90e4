// Writes a deterministic, realistic note corpus for the MFM bench as JSONL
// (one JSON string per line): mostly short Japanese / English / Chinese
// notes with mentions, hashtags, URLs, emoji and some MFM decoration,
// plus a few long ones. Usage: node gen_notes.mjs [count] > notes.jsonl
const count = Number(process.argv[2] ?? 20000);
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const chance = (p) => rand() < p;

const ja = [
  'おはようございます', '今日はいい天気ですね', 'ねむい', 'お昼ごはん何にしよう', '新しいサーバーに引っ越しました',
  'それな', '完全に理解した', 'わかる', 'ミスキーたのしい', 'アップデートしました', '仕事おわった〜', '雨降ってきた',
  'このアニメ最高だった', 'コーヒー飲みながら作業中', '明日は早起きしないと',
];
const en = [
  'Good morning everyone', 'Just deployed a new version', 'Does anyone know how to fix this?', 'lol', 'This is great',
  'Reading a book about distributed systems', 'The fediverse is fun', 'New blog post is up', 'Coffee time', 'brb',
];
const zh = ['今天天气很好', '我在学习日语', '这个很有意思', '晚安'];
const users = ['@syuilo', '@ai', '@alice@example.com', '@bob@mastodon.social', '@carol@misskey.io', '@dave'];
const tags = ['#misskey', '#ミスキー', '#rust', '#fediverse', '#今日の一枚', '#art', '#photography'];
const urls = ['https://example.com/', 'https://misskey-hub.net/ja/docs/', 'https://github.com/misskey-dev/misskey/issues/1234', 'https://www.youtube.com/watch?v=dQw4w9WgXcQ'];
const customEmoji = [':blobcat:', ':ablobcatnodfast:', ':igyo:', ':role_1:', ':misskey:'];
const uniEmoji = ['😀', '🎉', '👍', '🤔', '❤️', '✨', '🙏', '😭', '🐈', '👀'];

function sentence() {
  let s = pick(pick([ja, ja, ja, en, en, zh]));
  if (chance(0.3)) s += pick(uniEmoji);
  if (chance(0.2)) s += ' ' + pick(customEmoji);
  return s;
}

function note() {
  const parts = [];
  if (chance(0.25)) parts.push(pick(users));
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) parts.push(sentence());
  if (chance(0.2)) parts.push(pick(urls));
  if (chance(0.2)) parts.push(pick(tags));
  if (chance(0.08)) parts.push(`**${sentence()}**`);
  if (chance(0.05)) parts.push(`$[${pick(['x2', 'tada', 'spin.speed=2s', 'flip.h', 'rainbow'])} ${sentence()}]`);
  if (chance(0.03)) parts.push('`code()`');
  if (chance(0.03)) parts.push(`> ${sentence()}\n${sentence()}`);
  if (chance(0.02)) parts.push('```js\nconst x = 1;\nconsole.log(x);\n```');
  if (chance(0.02)) parts.push(`<center>${sentence()}</center>`);
  let s = parts.join(pick([' ', '\n', '。', ' ']));
  if (chance(0.01)) s = (s + '\n').repeat(10);
  return s;
}

const out = [];
for (let i = 0; i < count; i++) out.push(JSON.stringify(note()));
process.stdout.write(out.join('\n') + '\n');
