// Vite build of the demo. `instagate` resolves to the package built into
// ../pkg by scripts/build-pkg.sh, exactly as an app that installed it would.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('../pkg', import.meta.url));
// The callback page's address holds the login code: no Referer may carry it
// (callback.html also says so in a <meta>, for hosts that cannot set headers).
const headers = { 'Referrer-Policy': 'no-referrer' };

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { alias: { instagate: pkg } },
  server: { host: '127.0.0.1', port: 5173, strictPort: true, fs: { allow: ['..'] }, headers },
  preview: { host: '127.0.0.1', port: 5173, strictPort: true, headers },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: { main: 'index.html', callback: 'callback.html' } },
  },
});
