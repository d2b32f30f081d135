import { createHmac } from 'node:crypto';

/**
 * Development credentials for simulated devices: a lamp's (or segment controller's) password is
 * derived from a lab secret, so the simulator and the broker agree without a credential file.
 * Real lamps get random secrets issued by the broker's credentials CLI; only hashes are stored.
 */
export function deriveDevicePassword(labSecret: string, deviceId: string): string {
  return createHmac('sha256', labSecret).update(`device:${deviceId}`).digest('base64url');
}
