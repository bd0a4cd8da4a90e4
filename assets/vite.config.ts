import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// `npm run dev` proxies the server's routes to a running `misskey-rs serve` (MKRS_DEV_SERVER).
const server = process.env.MKRS_DEV_SERVER ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [vue()],
  build: {
    target: 'es2020',
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: Object.fromEntries(
      ['/api', '/streaming', '/files', '/proxy', '/identicon', '/emojis'].map((p) => [p, { target: server, ws: p === '/streaming' }]),
    ),
  },
  test: { environment: 'node', include: ['src/**/*.test.ts'] },
});
