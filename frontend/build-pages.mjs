// `npm run build [-- --outDir DIR --emptyOutDir --logLevel L]`: the dashboard, then the
// access-token page (vite.admin.config.ts) into the same folder. Two builds share no chunks, so
// the dashboard's first load stays at its own few requests.
import { build } from 'vite';

const args = process.argv.slice(2);
const value = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const outDir = value('--outDir');
const logLevel = value('--logLevel');
const common = { ...(logLevel ? { logLevel } : {}) };
await build({ ...common, build: { ...(outDir ? { outDir } : {}), emptyOutDir: true } });
await build({ ...common, configFile: 'vite.admin.config.ts', build: { ...(outDir ? { outDir } : {}), emptyOutDir: false } });
