import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, stopAllGateways, TestClient } from '@ns/testkit';
import { envelopeSchemaErrors } from './support/schema-validator.js';

afterEach(async () => {
  await stopAllGateways();
});

describe('ns-gateway start --demo', () => {
  // A gateway start, its demo publisher's first campaign (a second in) and the first threat: 30 s ran
  // out at load 35 in a whole-suite run.
  it('publishes synthetic NetSentinel traffic through the real publish API', { timeout: 120_000 }, async () => {
    const gw = await startGateway({}, ['start', '--demo']);
    expect(gw.stderr()).toContain('demo        publishing synthetic NetSentinel traffic');
    const client = await TestClient.open(gw.wsUrl);
    await client.subscribe('status');
    await client.subscribe('threats');
    const status = await client.next((m) => m.type === 'status.update');
    const threat = await client.next((m) => m.type === 'threat.new');
    expect(envelopeSchemaErrors(status)).toBeNull();
    expect(envelopeSchemaErrors(threat)).toBeNull();
    // It went through HTTP: the publish route measured it.
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/^ns_http_publish_duration_seconds_count\{status="202"\} [1-9]/m);
    client.close();
  });
});
