/**
 * Builds the web console (`npm run console:build`) into `console/dist`: static files the local stack serves
 * and the CDK stack uploads to S3. Relative asset URLs, so the same build works under any path.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
});
