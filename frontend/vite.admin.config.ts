import { defineConfig, mergeConfig } from 'vite';
import base from './vite.config.ts';

// The access-token page (admin.html) is built on its own, after the dashboard, into the same
// folder: sharing no chunks with it keeps the dashboard's first load to its own few requests.
export default mergeConfig(
  base,
  defineConfig({
    build: { emptyOutDir: false, rollupOptions: { input: { admin: 'admin.html' } } },
  }),
);
