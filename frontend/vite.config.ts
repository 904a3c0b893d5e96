/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The FastAPI server serves the built UI from backend/glassnet/static: index.html at `/`,
// bundles under `/assets/`. In development `npm run dev` proxies /api (REST and the
// WebSocket streams) to a server started separately on port 8000.
export default defineConfig({
  base: '/',
  plugins: [svelte()],
  build: {
    outDir: '../backend/glassnet/static',
    emptyOutDir: true,
    assetsDir: 'assets',
  },
  server: {
    proxy: {
      '/api': {
        target: 'http://127.0.0.1:8000',
        changeOrigin: true,
        ws: true,
      },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
