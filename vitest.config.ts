import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // opencv4nodejs and onnxruntime-node are native addons: run test files in
    // child processes, not worker threads, and one at a time (2-core machine,
    // timing-sensitive integration tests).
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
