/**
 * Which test files are integration tests: they start real servers or processes (aedes, express
 * and ws, influxd, mosquitto, chromium, promtool, the lab itself). Every other `*.test.ts` is a
 * unit test, and the unit project's guard (test/helpers/unitGuard.ts) fails any unit test that
 * listens on a socket, connects to one or spawns a process: a file missing from this list is
 * caught the first time it runs. See test/README.md.
 */
export const INTEGRATION_TESTS = [
  'test/cluster/brokerCluster.test.ts',
  'test/cluster/gateways.test.ts',
  'test/cluster/partitioned.test.ts',
  'test/broker/authFlood.test.ts',
  'test/broker/broker.test.ts',
  'test/broker/hardening.test.ts',
  'test/broker/lifecycle.test.ts',
  'test/broker/mosquittoPolicy.test.ts',
  'test/broker/protection.test.ts',
  'test/broker/restart.test.ts',
  'test/broker/scale.test.ts',
  'test/broker/status.test.ts',
  'test/broker/writeBatching.test.ts',
  'test/bootstrap/*.test.ts',
  'test/dashboards/*.test.ts',
  'test/ecosystem/*.test.ts',
  'test/gateway/commands.test.ts',
  'test/gateway/dataScope.test.ts',
  'test/gateway/endToEnd.test.ts',
  'test/gateway/forgedBatch.test.ts',
  'test/gateway/frameHeaders.test.ts',
  'test/gateway/injection.test.ts',
  'test/gateway/loginLockout.test.ts',
  'test/gateway/metrics.test.ts',
  'test/gateway/inventory.test.ts',
  'test/gateway/replay.test.ts',
  'test/gateway/reports*.test.ts',
  'test/gateway/restart.test.ts',
  'test/gateway/restTable.test.ts',
  'test/gateway/storeTimeout.test.ts',
  'test/gateway/roleMatrix.test.ts',
  'test/gateway/trustProxy.test.ts',
  'test/gateway/websocket.test.ts',
  'test/gateway/wsHardening.test.ts',
  'test/lab/*.test.ts',
  'test/processor/*.e2e.test.ts',
  'test/processor/startFailure.test.ts',
  'test/resilience/envProcesses.test.ts',
  'test/resilience/faults.test.ts',
  'test/resilience/abuse.test.ts',
  'test/resilience/gatewayInput.test.ts',
  'test/resilience/mqttInput.test.ts',
  'test/simulator/mqtt.test.ts',
  'test/storage/influxdb.test.ts',
  'test/storage/influxRetention.test.ts',
  'test/storage/influxV2.test.ts',
  'test/storage/influxql.test.ts',
];

export const ALL_TESTS = ['test/**/*.test.ts'];
