// Builds corpus.jsonl (one JSON string per line) for the MFM parity test:
// hand-written notes and syntax cases, every emoji of the emoji data set,
// seeded random token soups (adversarial / unbalanced markers) and long
// inputs. Deterministic: re-running gives the same file.
import { writeFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const cases = [];
const add = (...xs) => cases.push(...xs);

// --- ordinary notes -------------------------------------------------------
add(
  'Hello, world!',
  'おはようございます！今日もいい天気ですね。',
  '今天天气很好，我们去公园散步吧。',
  '오늘 날씨가 좋네요',
  'Just setting up my misskey 🎉',
  'ねこかわいい🐈\n\nほんとうに',
  'line1\nline2\r\nline3\rline4',
  'see https://example.com/path?x=1&y=2#frag for details.',
  'Check out https://misskey-hub.net/ja/docs/, it is nice.',
  'cc @syuilo @ai@misskey.io thanks!',
  'I love #misskey and #ミスキー and #米斯基',
  'Custom emoji :blobcat: and :ablobcatnodfast: here',
  '**important** announcement: server maintenance at 12:00 JST',
  'Quote:\n> this is quoted\n> second line\nafter',
  '```js\nconsole.log("hi");\n```',
  'inline `code` here and `more code`',
  '$[x2 big] $[spin.speed=2s spinning] $[flip.h,v flipped]',
  '<center>centered text</center>',
  'ミスキー search',
  'misskey 検索',
  'rust [search]',
  '[Misskey](https://misskey-hub.net) is a federated SNS',
  '?[silent link](https://example.com)',
  '<https://example.com/a b>',
  '<https://example.com/日本語>',
  'math: \\(x^2 + y^2 = z^2\\)',
  '\\[\n\\sum_{i=0}^n i\n\\]',
  'ふつうのノート。改行\nあり。\n\n段落。',
  '<small>small text</small> and <i>italic</i> and <s>strike</s> and ~~wave~~',
  '<plain>**not bold** :not_emoji: @nobody</plain>',
  '__bold under__ _italic under_ *italic asta*',
  '***big text***',
  'email me: someone@example.com',
  'price is $5 [sale]',
  'a_b_c snake_case_name __init__',
  'foo*bar*baz 2*3*4',
  '@user.name. end',
  'trailing dots https://example.com/... and commas https://example.com/a,,',
  'url in parens (https://example.com/foo_(bar)) yes',
  'url with brackets https://example.com/[a](b)',
  '#tag(with)parens #タグ「かっこ」 #tag（全角） #[a]b',
  '#123 #123abc #abc123 a#tag',
  ':emoji:: ::double:: :a:b:c:',
  'mention at end @someone',
  '@user@host.example.com hello',
  '@a@b@c',
  '@-bad @.bad @good- @user@host- @user@-host @user.@host',
  'RT @user: hello',
  '🤔🤔🤔 thinking',
  '👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 thumbs, 🇯🇵 JP',
  '1️⃣ 2️⃣ #️⃣ *️⃣ 0⃣ ©️ ® ™ ♥ ♥️',
  'text\u{fe0f}with vs16',
  '\u{fe0f}',
  '☺ ☺️ ✌ ✌️ ✌🏻',
);

// --- every syntax element, edges and nesting --------------------------------
const syntax = [
  '**a**', '**', '****', '** **', '**a', 'a**', '**a**b**', '**a\nb**', '** a **',
  '***', '******', '***a***', '***a**', '****a****', '***a***b***',
  '*a*', '*a b*', '* *', '*あ*', 'a*b*', '*a*b', '*a', '*a\u3000b*', '*a\tb*',
  '__a__', '__a b__', '__あ__', '_a_', 'a_b_', '_a_b', '__a_', '___a___', '_ _',
  '<b>a</b>', '<b></b>', '<b>', '</b>', '<b>a', '<b>**a**</b>', '<b>a\nb</b>', '<b><b>a</b></b>',
  '<small>a</small>', '<small></small>', '<small>a', '<i>a</i>', '<i>*a*</i>', '<s>a</s>', '<s>a',
  '~~a~~', '~~a\nb~~', '~~', '~~~~', '~~a', '~~~a~~~',
  '`a`', '``', '`a', '`a\nb`', '`a´b`', '```', '``` ```', '`**a**`',
  '```\na\n```', '```\n```', '```js\na\n```\nafter', 'before\n```\ncode\n```', '```  py  \nx\n```',
  '```\na\n```b', '```\na\n``` ', 'x```\na\n```', '```\n\n```', '```\n\n\n```', '```\r\na\r\n```',
  '```\na\n```\n```\nb\n```', '\n```\na\n```\n\nnext',
  '\\(a\\)', '\\(\\)', '\\(a', '\\(a\nb\\)', '\\[a\\]', '\\[\na\n\\]', '\\[\n\\]', 'x\\[a\\]', '\\[a\\]x',
  '<center>a</center>', '<center>\na\n</center>', '<center></center>', '<center>a</center>b',
  'x<center>a</center>', '<center>**a**</center>', '<center>a\nb</center>', '<center>a',
  '\n<center>a</center>\n', '<center>\n\na\n\n</center>',
  '<plain>a</plain>', '<plain></plain>', '<plain>\na\n</plain>', '<plain>a', '<plain>\n</plain>',
  '<plain>**a**</plain>', '<plain><plain>a</plain></plain>',
  '> a', '>a', '>', '> ', '>\n>', '> a\n> b', '> a\nb', '>> a', '> > a', '> **a**', '> a\n\n> b',
  '\n> a', '\n\n> a', 'a\n> b', 'a\n\n> b\n\nc', '> a\r\n> b', '>\u3000a', '> ```\n> code\n> ```',
  '> <center>a</center>', '> a search', '>>>>>>>>>>>>>>>>>>>>>>>> deep',
  'a search', 'a  search', 'a [search]', 'a Search', 'a SEARCH', 'a 検索', 'a [検索]', 'search',
  ' search', 'a search b', 'a search\nb', 'x\na search', 'a\u3000検索', 'a\tsearch', 'a [search] ',
  '$[x2 a]', '$[x2]', '$[ a]', '$[x2 ]', '$[x2 a', '$[x2.a a]', '$[x2.a=1 a]', '$[x2.a=1,b=2 a]',
  '$[x2.a=1,b a]', '$[x2.a= a]', '$[x2.a, a]', '$[x2. a]', '$[x2.a=1.5s a]', '$[x2.a=-1 a]',
  '$[x2 $[x3 a]]', '$[x2 **a**]', '$[x2 a]b]', '$[flip.h,v a]', '$[spin.left,speed=1.5s a]',
  '$[x2.__proto__ a]', '$[x2.2=a,1=b,b=c a]', '$[x2.a=1,a=2 a]', '$[x2 a\nb]', '$[', '$[[a]]',
  '$[bg.color=ff0000 red]', '$[font.serif serif]', '$[ruby 漢字 かんじ]', '$[unixtime 1700000000]',
  '@a', '@a@b', '@a@b.c', '@a.', '@a.@b', '@a@b.', '@a@.', '@a-', '@-a', '@.a', '@a@-b', '@',
  '@@a', 'a@a', '@a@b@c', '@a_b', '@A', '@a@B.C', '@a..', '@a@b..', '@a@b-.', '(@a)', '@a!', '@日本',
  '#a', '#', '#1', '#1a', '#a1', 'a#a', '1#a', '#a.b', '#a,b', '#a!b', '#a?b', "#a'b", '#a"b', '#a#b',
  '#a:b', '#a/b', '#a[b]c', '#a(b)c', '#a(b', '#(a)', '#()', '#a「b」', '#a【b】', '#a（b）', '#a<b',
  '#a\u3000b', '#a\tb', '#日本語', '#a_b', '#a-b', '#((((((((((((((((((((((((a))))))))))))))))))))))))',
  '#a((b)', '#a(b))', '_#a', '#ａｂｃ', '#ＡＢＣ', '#Misskey',
  ':a:', ':a', 'a:a:', ':a:a', ':a: ', '::', ':a_b+c-d:', ':日本:', 'x:a:', ':a:\n', ':a:1', '1:a:',
  '[a](https://a.com)', '[a](http://a.com)', '[a](<https://a.com>)', '[a](https://a.com',
  '[a]( https://a.com)', '[a](ftp://a.com)', '[](https://a.com)', '[a\nb](https://a.com)',
  '[**a**](https://a.com)', '[@a](https://a.com)', '[#a](https://a.com)', '[https://b.com](https://a.com)',
  '[[a]](https://a.com)', '[a](https://a.com/(x))', '[a](https://a.com/.)', '[a](https://.)',
  '?[a](https://a.com)', '?[a]', '?', '[a]', '[a](', '[a]()', '[:e:](https://a.com)', '[😀](https://a.com)',
  '[a](https://a.com)[b](https://b.com)', '[<b>a</b>](https://a.com)', '[a](https://a.com) b',
  'https://a.com', 'http://a.com', 'https://', 'https://.', 'https://a.com.', 'https://a.com,',
  'https://a.com.,.', 'https://a.com/日本', 'https://a.com/a b', 'https://a.com/?q=1&r=2',
  'https://a.com/(a)', 'https://a.com/(a', 'https://a.com/[a]', 'https://a.com/a)', 'xhttps://a.com',
  'https://a.com/~user/%20', 'https://a.com/@user', 'https://a.com/#!/x', 'HTTPS://A.COM', 'https://a.com/😀',
  '<https://a.com>', '<https://a.com', '<https://>', '<https:// a>', '<https://a.com\nb>', '<http://a>',
  '<b>https://a.com</b>', '**https://a.com**', '<a href="https://x">x</a>',
  '😀', '😀😀', 'a😀b', '😀\u{fe0f}', '\u{fe0f}\u{fe0f}', '👍🏻', '🏴󠁧󠁢󠁥󠁮󠁧󠁿', '🇯🇵🇺🇸', '🇯', '❤️‍🔥', '🧑‍💻',
  '**😀**', '<b>😀</b>', '#😀', '@😀', ':😀:', '[😀](https://a.com)',
  '\r', '\n', '\r\n', '\n\n\n', ' ', '\u3000', '\t', 'a\rb', '\r\n> a\r\n', '<center>a</center>\r\nb',
];
add(...syntax);

// control characters and JSON escaping
add('a\u0001b\u000bc\u001f\u007f\u2028\u2029\u0000 \b\f', '**\u0001**', '`\u0000`', '#a\u0001b', '\u0085search');
// common Misskey fn usage
add('$[position.x=1.5,y=-1 a]', '$[fg.color=f00 red]', '$[border.style=dashed,width=2 box]', '$[scale.x=2,y=0.5 s]',
  '$[rotate.deg=45 r]', '$[blur secret]', '$[sparkle ✨]', '$[jelly.speed=0.5s j]', '$[ruby $[x2 大] おお]');

// nesting
const nest = (n, open, close, inner = 'x') => open.repeat(n) + inner + close.repeat(n);
for (const n of [1, 2, 5, 10, 19, 20, 21, 25, 30]) {
  add(nest(n, '<b>', '</b>'), nest(n, '$[x2 ', ']'), nest(n, '<i>', '</i>', '**a**'), nest(n, '> ', '', 'a'));
}
add(nest(15, '<small>', '</small>', nest(10, '$[spin ', ']')));
add(nest(22, '[', ']', 'a') + '(https://a.com)');
add('#' + nest(25, '(', ')', 'a'), 'https://a.com/' + nest(25, '(', ')', 'a'), 'https://a.com/' + nest(25, '[', ']', 'a'));

// --- emoji coverage ---------------------------------------------------------
const emojiList = JSON.parse(readFileSync(require.resolve('@misskey-dev/emoji-data/emojilist.json'), 'utf8'));
const chars = emojiList.map((e) => (Array.isArray(e) ? e[0] : e.char ?? e));
for (let i = 0; i < chars.length; i += 60) add(chars.slice(i, i + 60).join(''));
for (let i = 0; i < chars.length; i += 97) add(chars.slice(i, i + 97).map((c) => c.replace(/\ufe0f/g, '')).join(' '));
for (let i = 0; i < chars.length; i += 83) add(chars.slice(i, i + 83).map((c) => c + '\u{fe0f}').join('a'));

// --- seeded random token soups ----------------------------------------------
let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const tokens = [
  '**', '*', '_', '__', '~~', '***', '<b>', '</b>', '<small>', '</small>', '<i>', '</i>', '<s>', '</s>',
  '<center>', '</center>', '<plain>', '</plain>', '$[', '$[x2 ', '$[flip.h,v ', '$[spin.speed=1s ', ']', '[',
  '](', ')', '(', '?[', 'https://', 'http://e.com/', 'https://a.b/c', '<https://a.b/c>', '@', '@user',
  '@user@host.tld', '#', '#tag', ':', ':smile:', '`', '```', '```js', '\\(', '\\)', '\\[', '\\]', '>', '> ',
  '\n', '\n', '\n', '\r\n', ' ', ' ', '\u3000', 'a', 'abc', 'x1', '日本語', 'テスト', '中文', '😀', '1️⃣', '❤',
  '\u{fe0f}', ' search', ' 検索', ' [search]', '.', ',', '-', '「', '」', '（', '）', '´', '1', '<', '>',
];
for (let i = 0; i < 450; i++) {
  const n = 2 + Math.floor(rand() * 28);
  let s = '';
  for (let j = 0; j < n; j++) s += pick(tokens);
  add(s);
}

// --- long inputs ------------------------------------------------------------
const para = 'Misskeyは分散型のSNSです。**太字**や<i>斜体</i>、$[x2 大きい文字]、@user@example.com へのメンション、#ハッシュタグ、:emoji: が使えます。 https://example.com/path\n';
add(para.repeat(20));
add('a'.repeat(3000), '*'.repeat(3000), '<b>'.repeat(1000), '['.repeat(1000), '$['.repeat(1500));
add('`'.repeat(3000), '#('.repeat(1500), '@a'.repeat(1500), '> '.repeat(1500), '\n'.repeat(3000));
add('**a'.repeat(1000), '<center>\n'.repeat(120), '```\n'.repeat(700), '~~a'.repeat(1000), '\\('.repeat(1500));
add(('[a' + '\n').repeat(500), '[' + 'a'.repeat(2900) + '](https://a.com', 'https://a.com/' + '('.repeat(1500));
add('<small>'.repeat(400), '_a'.repeat(1500), ':a'.repeat(1500), '😀'.repeat(1000), '1️⃣'.repeat(700));
add(('<i>' + 'x'.repeat(10)).repeat(250), ('$[x2 ' + '**'.repeat(5)).repeat(150), ('> ' + '<b>'.repeat(5) + '\n').repeat(100));

writeFileSync(new URL('./corpus.jsonl', import.meta.url), cases.map((c) => JSON.stringify(c)).join('\n') + '\n');
console.log(`${cases.length} inputs`);
