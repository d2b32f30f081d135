#!/bin/sh
# Run once by the influxdb:2 image after its first-run set-up (DOCKER_INFLUXDB_INIT_MODE=setup),
# with the influx CLI already configured for the new org and admin token. Maps the InfluxQL
# database "<bucket>" with retention policy "autogen" to the bucket, so that the gateway's reads
# and Grafana (InfluxQL over /query) find it. 2.x also answers through a virtual mapping of the
# bucket name; an explicit one is listed by `influx v1 dbrp list` and survives renames.
set -eu
bucket_id=$(influx bucket list --name "$DOCKER_INFLUXDB_INIT_BUCKET" --hide-headers | awk '{print $1}')
influx v1 dbrp create \
  --db "$DOCKER_INFLUXDB_INIT_BUCKET" \
  --rp autogen \
  --bucket-id "$bucket_id" \
  --default
