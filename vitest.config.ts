import { defineConfig } from 'vitest/config';

// Unit tests cover the pure logic only (no root, no kernel state): they sit next to the code
// they test as *.test.ts. The black-box stage checks live in checks/ and run through
// `npm run check:stage-N`, not through vitest.
export default defineConfig({
  test: {
    include: ['lib/**/*.test.ts', 'checks/**/*.test.ts', 'docs/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
  },
});
