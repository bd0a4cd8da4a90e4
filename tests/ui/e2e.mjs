// The web UI end to end, in Debian's Chromium against a real `misskey-rs serve`:
// first-run setup → a second user signs up → follows → the first posts with a CW and a picture →
// it appears live on the second's home timeline → a reaction with a custom emoji → the
// notification appears → the thread → a reply → search, lists, drive, admin and an app's MiAuth
// approval. Screenshots of the main screens go to the
// directory given, and axe-core checks each of them for serious accessibility violations.
// Usage: node e2e.mjs BASE_URL SETUP_TOKEN SCREENSHOT_DIR
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const [base, setupToken, shots] = process.argv.slice(2);
if (!base || !setupToken || !shots) throw new Error('usage: node e2e.mjs BASE_URL SETUP_TOKEN SCREENSHOT_DIR');
mkdirSync(shots, { recursive: true });
// axe goes in through the debugging protocol: the page's CSP (no inline script) stays on.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const T = 15000;

function step(name) { console.log(`· ${name}`); }

// A small PNG (a red square with a blue band), made here so the test needs no fixture file.
function png(w, h) {
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = [0];
    for (let x = 0; x < w; x++) row.push(...(y > h / 3 && y < (2 * h) / 3 ? [30, 60, 200] : [220, 40, 40]));
    rows.push(Buffer.from(row));
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4); sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

const violations = [];
async function screen(page, name) {
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: false });
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  for (const v of result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')) {
    violations.push(`${name}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  }
}

const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
const pages = [];
try {
  const alice = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } })).newPage();
  const bob = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } })).newPage();
  pages.push(alice, bob);
  for (const p of [alice, bob]) {
    p.setDefaultTimeout(T);
    p.on('pageerror', (e) => { console.error(`page error: ${e.message}`); process.exitCode = 1; });
  }

  step('first run: the setup page creates the administrator');
  const t0 = Date.now();
  await alice.goto(base);
  await alice.waitForURL(/\/setup$/);
  await screen(alice, '01-setup');
  await alice.fill('input[name=setupPassword]', setupToken);
  await alice.fill('input[name=username]', 'alice');
  await alice.fill('input[name=password]', 'alice-password-1');
  await alice.click('button.primary');
  await alice.waitForURL(`${base}/`);
  await alice.locator('textarea').first().waitFor();
  console.log(`  timeline after setup in ${Date.now() - t0} ms`);

  step('the administrator adds a custom emoji and opens registration (through the API the UI uses)');
  const emojiPng = png(32, 32).toString('base64');
  await alice.evaluate(async (b64) => {
    const token = localStorage.getItem('mkrs:token');
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const form = new FormData();
    form.append('i', token);
    form.append('file', new Blob([bytes], { type: 'image/png' }), 'party.png');
    const file = await (await fetch('/api/drive/files/create', { method: 'POST', body: form })).json();
    const r = await fetch('/api/admin/emoji/add', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i: token, name: 'party', fileId: file.id }) });
    if (!r.ok) throw new Error(`emoji: ${r.status} ${await r.text()}`);
    const open = await fetch('/api/admin/update-meta', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i: token, disableRegistration: false }) });
    if (!open.ok) throw new Error(`registration: ${open.status} ${await open.text()}`);
  }, emojiPng);

  step('a second user signs up');
  await bob.goto(`${base}/signup`);
  await screen(bob, '02-signup');
  await bob.fill('input[name=username]', 'bob');
  await bob.fill('input[name=password]', 'bob-password-1');
  await bob.click('button.primary');
  await bob.waitForURL(`${base}/`);

  step('bob follows alice from her profile');
  await bob.goto(`${base}/@alice`);
  await bob.getByRole('button', { name: 'Follow', exact: true }).click();
  await bob.getByRole('button', { name: 'Unfollow', exact: true }).waitFor();
  await screen(bob, '03-profile');

  step('bob watches his home timeline');
  await bob.goto(base);
  await bob.getByRole('tab', { name: 'Home' }).click();
  await bob.waitForTimeout(500);

  step('alice posts with a content warning and a picture');
  await alice.reload();
  await alice.getByRole('button', { name: 'Content warning' }).first().click();
  await alice.fill('input.cw-input', 'spoiler ahead');
  // The custom emoji comes from completion: `:par` offers `:party:`.
  await alice.fill('textarea', 'Hello from the browser :par');
  await alice.locator('.suggestions button', { hasText: ':party:' }).click();
  if ((await alice.inputValue('textarea')) !== 'Hello from the browser :party: ') throw new Error(`completion: ${await alice.inputValue('textarea')}`);
  await alice.setInputFiles('input[type=file]', { name: 'photo.png', mimeType: 'image/png', buffer: png(120, 80) });
  await alice.locator('.attachments li', { hasText: 'photo.png' }).getByRole('button', { name: 'Delete' }).waitFor();
  await alice.locator('form.compose button.primary:not([disabled])').click();
  await alice.locator('article.note', { hasText: 'spoiler ahead' }).first().waitFor();

  step('it appears live on bob\'s home timeline, behind its warning');
  const note = bob.locator('article.note', { hasText: 'spoiler ahead' }).first();
  await note.waitFor();
  if (await note.getByText('Hello from the browser').count()) throw new Error('the CW did not hide the text');
  await note.getByRole('button', { name: 'Show more' }).click();
  await note.getByText('Hello from the browser').waitFor();
  await note.locator('.media img').first().waitFor();
  await note.locator('.mfm img.emoji[alt=":party:"]').waitFor();
  // The picture, the custom emoji and the avatars load (the page's CSP lets them through).
  const loaded = await note.locator('.media img, img.emoji, .avatar img').evaluateAll((imgs) =>
    Promise.all(imgs.map((i) => i.decode().then(() => true, () => false))));
  if (loaded.length < 3 || !loaded.every(Boolean)) throw new Error(`images that did not load: ${JSON.stringify(loaded)}`);
  await screen(bob, '04-timeline');

  step('bob reacts with the custom emoji');
  await note.getByRole('button', { name: 'React' }).click();
  await note.getByPlaceholder('Search emoji').fill('party');
  await note.getByRole('button', { name: ':party:' }).first().click();
  await note.locator('.reaction.mine', { hasText: '1' }).waitFor();

  step('alice sees the reaction notification');
  await alice.goto(`${base}/my/notifications`);
  await alice.locator('.notification[data-type=reaction]').first().waitFor();
  await screen(alice, '05-notifications');

  step('bob opens the thread and replies');
  await note.locator('a.time').first().click();
  await bob.waitForURL(/\/notes\//);
  await bob.locator('article.note.detailed').waitFor();
  await bob.locator('article.note.detailed').getByRole('button', { name: 'Who reacted' }).click();
  await bob.locator('article.note.detailed .reactors .person', { hasText: '@bob' }).waitFor();
  await bob.locator('article.note.detailed').getByRole('button', { name: 'Reply' }).click();
  await bob.locator('article.note.detailed form.compose textarea').fill('Nice picture!');
  await bob.locator('article.note.detailed form.compose button.primary').click();
  await bob.waitForTimeout(300);
  await bob.reload();
  await bob.locator('section.replies article.note', { hasText: 'Nice picture!' }).waitFor();
  await screen(bob, '06-thread');

  step('alice is told of the reply');
  await alice.reload();
  await alice.locator('.notification[data-type=reply]', { hasText: 'Nice picture!' }).first().waitFor();

  step('search: words find the note, and people by name');
  await alice.goto(`${base}/search`);
  await alice.fill('input[name=q]', 'browser');
  await alice.keyboard.press('Enter');
  await alice.locator('article.note', { hasText: 'spoiler ahead' }).first().waitFor();
  await alice.getByRole('radio', { name: 'Users' }).check();
  await alice.fill('input[name=q]', 'bob');
  await alice.keyboard.press('Enter');
  await alice.locator('.person', { hasText: '@bob' }).first().waitFor();
  await screen(alice, '09-search');

  step('lists: alice lists bob');
  await alice.goto(`${base}/my/lists`);
  await alice.fill('input[name=name]', 'friends');
  await alice.getByRole('button', { name: 'Create list' }).click();
  await alice.waitForURL(/\/my\/lists\/\w+/);
  await alice.locator('.list-manage summary').click();
  await alice.fill('.list-manage input[placeholder="@user@host"]', '@bob');
  await alice.getByRole('button', { name: 'Add', exact: true }).click();
  await alice.locator('.list-manage .person', { hasText: '@bob' }).waitFor();
  await screen(alice, '10-list');
  await alice.goto(base);
  await alice.getByRole('tab', { name: '📋 friends' }).click();
  await alice.getByRole('tab', { name: '📋 friends', selected: true }).waitFor();

  step('drive: upload, rename, mark sensitive');
  await alice.goto(`${base}/my/drive`);
  await alice.locator('.drive-file', { hasText: 'photo.png' }).waitFor();
  await alice.setInputFiles('.drive-actions input[type=file]', { name: 'doc.png', mimeType: 'image/png', buffer: png(64, 64) });
  const doc = alice.locator('.drive-file', { hasText: 'doc.png' });
  await doc.waitFor();
  alice.once('dialog', (d) => d.accept('renamed.png'));
  await doc.getByRole('button', { name: 'Rename' }).click();
  const renamed = alice.locator('.drive-file', { hasText: 'renamed.png' });
  await renamed.waitFor();
  await renamed.getByRole('button', { name: 'Mark sensitive' }).click();
  await renamed.getByRole('button', { name: 'Unmark sensitive' }).waitFor();
  await screen(alice, '11-drive');

  step('admin: server name, users, job queue, blocked and silenced servers');
  await alice.goto(`${base}/admin`);
  await alice.fill('input[name=instance-name]', 'Browser Test Server');
  await alice.getByRole('button', { name: 'Save' }).click();
  await alice.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  await alice.locator('nav.side .brand', { hasText: 'Browser Test Server' }).waitFor();
  await alice.getByRole('tab', { name: 'Users' }).click();
  await alice.locator('.admin-user', { hasText: '@bob' }).waitFor();
  await alice.getByRole('tab', { name: 'Job queue' }).click();
  await alice.locator('table.queues td', { hasText: 'deliver' }).waitFor();
  await screen(alice, '12-admin');
  await alice.getByRole('tab', { name: 'Federation' }).click();
  await alice.fill('textarea[name=blocked-hosts]', 'Spam.Example\n\nbad.example:8443');
  await alice.fill('textarea[name=silenced-hosts]', 'loud.example');
  await alice.getByRole('button', { name: 'Save' }).click();
  await alice.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  // Stored as host names, and shown so when the screen reads them back.
  const lists = await alice.evaluate(async () => {
    const i = localStorage.getItem('mkrs:token');
    const m = await (await fetch('/api/admin/meta', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i }) })).json();
    return JSON.stringify([m.blockedHosts, m.silencedHosts]);
  });
  if (lists !== '[["spam.example","bad.example"],["loud.example"]]') throw new Error(`blocked/silenced hosts: ${lists}`);
  if (await alice.inputValue('textarea[name=blocked-hosts]') !== 'spam.example\nbad.example') throw new Error('the blocked list is not shown as stored');
  await screen(alice, '12-admin-federation');
  // A server in the table: blocked with its button, then unblocked.
  const remote = alice.locator('table.instances tr', { hasText: 'remote.example' });
  await remote.getByRole('button', { name: 'Block remote.example' }).click();
  await remote.getByRole('cell', { name: 'blocked', exact: true }).waitFor();
  if (!(await alice.inputValue('textarea[name=blocked-hosts]')).endsWith('\nremote.example')) throw new Error('the blocked list lacks remote.example');
  await remote.getByRole('button', { name: 'Unblock remote.example' }).click();
  await remote.getByRole('cell', { name: 'federating', exact: true }).waitFor();

  step('MiAuth: an app asks, alice allows, the app collects its token');
  await alice.goto(`${base}/miauth/e2e-session?name=E2E%20App&permission=read:account,write:notes`);
  await alice.getByRole('heading', { name: 'Allow E2E App?' }).waitFor();
  await screen(alice, '13-miauth');
  await alice.getByRole('button', { name: 'Allow', exact: true }).click();
  await alice.getByRole('status').filter({ hasText: 'Allowed' }).waitFor();
  const appUser = await alice.evaluate(async () => {
    const check = await (await fetch('/api/miauth/e2e-session/check', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
    const me = await (await fetch('/api/i', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${check.token}` }, body: '{}' })).json();
    return me.username;
  });
  if (appUser !== 'alice') throw new Error(`the app's token is not alice's: ${appUser}`);

  step('the legacy app flow: /auth/:token, then the app exchanges its session for a key');
  const post = (ep, body) => alice.evaluate(async ([ep, body]) => (await fetch(`/api/${ep}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json(), [ep, body]);
  const token = await alice.evaluate(() => localStorage.getItem('mkrs:token'));
  const legacy = await post('app/create', { i: token, name: 'Legacy App', description: 'x', permission: ['read:account'] });
  const session = await post('auth/session/generate', { appSecret: legacy.secret });
  await alice.goto(`${base}/auth/${session.token}`);
  await alice.getByRole('heading', { name: 'Allow Legacy App?' }).waitFor();
  await alice.getByRole('button', { name: 'Allow', exact: true }).click();
  await alice.getByRole('status').filter({ hasText: 'Allowed' }).waitFor();
  const key = await post('auth/session/userkey', { appSecret: legacy.secret, token: session.token });
  if (key.user?.username !== 'alice' || !key.accessToken) throw new Error(`userkey: ${JSON.stringify(key)}`);

  step('settings: the two apps hold tokens; one is revoked');
  await alice.goto(`${base}/settings`);
  await alice.locator('.app-tokens').getByRole('button', { name: 'Show apps' }).click();
  await alice.locator('.app-tokens li', { hasText: 'E2E App' }).waitFor();
  await alice.locator('.app-tokens li', { hasText: 'Legacy App' }).waitFor();
  alice.once('dialog', (d) => d.accept());
  await alice.locator('.app-tokens li', { hasText: 'E2E App' }).getByRole('button', { name: 'Revoke access' }).click();
  await alice.locator('.app-tokens li', { hasText: 'E2E App' }).waitFor({ state: 'detached' });

  step('settings: language and theme');
  await alice.goto(`${base}/settings`);
  await alice.selectOption('select[name=lang]', 'ja');
  await alice.getByRole('button', { name: '保存' }).first().waitFor();
  await alice.selectOption('select[name=theme]', 'dark');
  await screen(alice, '07-settings');

  step('a phone-sized screen');
  const phone = await (await browser.newContext({ locale: 'zh-TW', viewport: { width: 390, height: 844 }, isMobile: true })).newPage();
  await phone.goto(`${base}/@alice`);
  await phone.getByText('貼文').first().waitFor();
  await screen(phone, '08-phone-profile');
} catch (e) {
  // What the screens said when it failed.
  for (const [i, p] of pages.entries()) {
    await p.screenshot({ path: `${shots}/failed-${i}.png` }).catch(() => {});
    console.error(`page ${i} at ${p.url()}:\n${await p.evaluate(() => document.body.innerText).catch(() => '?')}`);
  }
  throw e;
} finally {
  await browser.close();
}

if (violations.length) {
  console.error(`serious accessibility violations:\n${violations.join('\n')}`);
  process.exit(1);
}
console.log('web UI end to end: ok');
