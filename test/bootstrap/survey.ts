/** The surveyed inventory the bootstrap tests upload: three lamps in two segments, not the route's. */
export const SURVEYED_LAMPS = ['P-001', 'P-002', 'P-003'];

export function surveyCsv(modelId: string): string {
  const [a, b, c] = SURVEYED_LAMPS;
  return [
    'id,lon,lat,segmentId,controllerId,modelId,distanceM,poleHeightM,segmentName',
    `${a},12.3521,55.6803,north,ctl-north,${modelId},0,8,Herstedvang`,
    `${b},12.3525,55.6804,north,ctl-north,${modelId},30,8,Herstedvang`,
    `${c},12.3529,55.6805,south,ctl-south,${modelId},60,8,Roholmsvej`,
  ].join('\n');
}
