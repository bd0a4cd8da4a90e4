// Initial load of the timeline page in Debian's Chromium, cold cache each run: JS and CSS
// bytes transferred (compressed, as sent), all bytes, and the time from navigation to the
// first note on screen. Usage: node bench.mjs BASE_URL TOKEN [RUNS]
import { chromium } from 'playwright-core';

const [base, token, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 7);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const results = [];
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript((t) => { localStorage.setItem('mkrs:token', t); localStorage.setItem('mkrs:tab', 'local'); }, token);
  const page = await context.newPage();
  const sizes = [];
  page.on('requestfinished', async (req) => {
    const s = await req.sizes().catch(() => null);
    if (s) sizes.push({ type: req.resourceType(), url: req.url(), bytes: s.responseBodySize + s.responseHeadersSize });
  });
  await page.goto(base);
  await page.locator('article.note').first().waitFor({ timeout: 20000 });
  const firstNote = await page.evaluate(() => performance.now());
  await page.waitForLoadState('networkidle');
  const code = sizes.filter((s) => s.type === 'script' || s.type === 'stylesheet').reduce((a, s) => a + s.bytes, 0);
  const all = sizes.reduce((a, s) => a + s.bytes, 0);
  results.push({ firstNote, code, all });
  await context.close();
}
await browser.close();
const med = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`timeline page, ${runs} cold loads: JS+CSS ${(med(results.map((r) => r.code)) / 1024).toFixed(1)} KiB transferred, ` +
  `all requests ${(med(results.map((r) => r.all)) / 1024).toFixed(1)} KiB, first note on screen after ` +
  `${med(results.map((r) => r.firstNote)).toFixed(0)} ms (median; min ${Math.min(...results.map((r) => r.firstNote)).toFixed(0)}, max ${Math.max(...results.map((r) => r.firstNote)).toFixed(0)})`);
