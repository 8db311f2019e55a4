/**
 * `service_name` inside queries: the label_format template (`serviceNameTemplate`) derives,
 * through the engine's own templates and RE2, exactly what `serviceNameOf` derives for label
 * values and selectors — checked on pod names that tell the two suffix rules apart — and
 * `redactUrl` hides passwords for `/api/v1/status/config`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/node.js';
import { serviceNameOf, serviceNameTemplate, type ServiceNameRule } from '../../src/server/service-name.js';
import { redactUrl, SECRET } from '../../src/server/status-config.js';
import { tempDir } from './helpers.js';

const PODS = [
  'api-7d9f8b6c5-x2k4p', // Deployment: ReplicaSet hash and pod hash
  'kube-proxy-8mxwz', // DaemonSet: pod hash only
  'etcd-cp-1', // static pod: no suffix
  'foo-abcde-7d9f8b6c5-x2k4p', // an app whose own name ends like a pod hash
  'a-bbbbbb-ccccc-ddddd', // ReplicaSet rule fails (hash of 5), pod-hash rule strips one
  'x-12345',
  'plain',
];

describe('serviceNameTemplate through the engine equals serviceNameOf', () => {
  const tmp = tempDir('letheql-service-name-');
  afterAll(() => tmp.cleanup());
  mkdirSync(join(tmp.dir, 'pod', 'ns'), { recursive: true });
  writeFileSync(join(tmp.dir, 'pod', 'ns', '2024-09-24_13.log'), PODS.map((p, i) => `2024-09-24T13:00:0${i}.000000Z[ns|${p}|c${i}] line\n`).join(''));

  it.each(['app', 'container'] as ServiceNameRule[])('rule %s', async (rule) => {
    const store = openStore(tmp.dir, { workers: 0 });
    try {
      const q = `sum by (pod, container, service_name) (count_over_time(pod{namespace="ns"} | label_format service_name=\`${serviceNameTemplate('pod', rule)}\` [1h]))`;
      const { result } = await store.queryMetric(q, { end: '2024-09-24T13:30:00Z' });
      const got = Object.fromEntries(result.series.map((s) => [s.labels['pod']!, s.labels['service_name'] ?? '']));
      const want = Object.fromEntries(result.series.map((s) => [s.labels['pod']!, serviceNameOf('pod', s.labels, rule)]));
      expect(Object.keys(got).sort()).toEqual([...PODS].sort());
      expect(got).toEqual(want);
      if (rule === 'app') expect(got).toMatchObject({ 'api-7d9f8b6c5-x2k4p': 'api', 'kube-proxy-8mxwz': 'kube-proxy', 'etcd-cp-1': 'etcd-cp-1', 'foo-abcde-7d9f8b6c5-x2k4p': 'foo-abcde', 'a-bbbbbb-ccccc-ddddd': 'a-bbbbbb-ccccc' });
    } finally {
      await store.close();
    }
  });
});

describe('redactUrl', () => {
  it.each([
    ['http://user:hunter2@am.example:9093/api', `http://user:${SECRET}@am.example:9093/api`],
    ['https://am.example/api?x=1', 'https://am.example/api?x=1'],
    ['smtp://mailer:p%40ss@mail.example:587', `smtp://mailer:${SECRET}@mail.example:587`],
    ['not a url', SECRET],
  ])('%s → %s', (url, want) => expect(redactUrl(url)).toBe(want));
});
