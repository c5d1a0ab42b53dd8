import { defineConfig } from 'vite';

// Relative asset URLs: the dashboard may be served under a sub-path (`/dante/`).
export default defineConfig({
  base: './',
  build: {
    target: 'es2020',
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
  server: {
    proxy: {
      '/api': 'http://localhost:1337',
      '/socket.io': { target: 'http://localhost:1337', ws: true },
    },
  },
});
