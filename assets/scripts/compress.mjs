// Writes a .br and a .gz beside every compressible file of the build, so the server sends them
// as they are (no compression per request).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const root = process.argv[2] ?? 'dist';
const compressible = /\.(js|mjs|css|html|svg|json|webmanifest|txt)$/;
let raw = 0, br = 0;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) { walk(path); continue; }
    if (!compressible.test(name)) continue;
    const data = readFileSync(path);
    const b = brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } });
    const g = gzipSync(data, { level: 9 });
    if (b.length < data.length) writeFileSync(path + '.br', b);
    if (g.length < data.length) writeFileSync(path + '.gz', g);
    raw += data.length; br += Math.min(b.length, data.length);
  }
}
walk(root);
console.log(`compressed ${root}: ${(raw / 1024).toFixed(1)} KiB → ${(br / 1024).toFixed(1)} KiB (brotli)`);
