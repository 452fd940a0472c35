import { defineConfig } from 'vitest/config';

// Two tiers (STYLE.md §18): `*.test.ts` unit tests, `*.int.test.ts` integration tests against the real
// PostgreSQL, Redis and Kafka that infra/scripts/stack.sh starts (tests start the gateway themselves). Workspace packages resolve
// to their TypeScript sources through the `source` export condition.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    // Tests use their own database, and gateways they start listen on the tests' own port (or a free
    // one), so a test run never touches the development database or a development gateway.
    env: {
      TZ: 'UTC',
      // VOC_TEST_PGDATABASE lets two checkouts on one machine run their tests side by side.
      PGDATABASE: process.env.VOC_TEST_PGDATABASE ?? 'voc_test',
      LOG_LEVEL: 'silent',
      VOC_MQTT_PORT: process.env.VOC_TEST_MQTT_PORT ?? '1885',
      VOC_MQTT_URL: `mqtt://127.0.0.1:${process.env.VOC_TEST_MQTT_PORT ?? '1885'}`,
      VOC_MQTT_TLS_PORT: '0',
      // No metrics listener on a fixed port: services the tests start never collide with each other
      // or with the user's own (0: a free port for the gateway, none for the others).
      VOC_GATEWAY_METRICS_PORT: '0',
      VOC_WRITER_METRICS_PORT: '0',
      VOC_HOTSPOT_METRICS_PORT: '0',
      VOC_HJ212_METRICS_PORT: '0',
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/**/src/**/*.test.ts', 'services/**/src/**/*.test.ts', 'tools/src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**', '**/dist/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          globalSetup: ['test/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
