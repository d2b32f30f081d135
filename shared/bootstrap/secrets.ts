/**
 * The lab secret, from which development device and service passwords derive. `npm start`
 * makes one per start when it is unset and hands it to its services in-process; a service on
 * its own has nobody to share a generated one with, so it needs it set (or explicit passwords).
 */
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../config.ts';

/** The lab's secret: LAB_SECRET, or a fresh random one for this start. */
export function labSecretOf(config: { LAB_SECRET?: string | undefined }): string {
  return config.LAB_SECRET ?? randomBytes(24).toString('base64url');
}

/**
 * A standalone service's check: LAB_SECRET, or one of `alternatives` (variable name to value),
 * must be set, else no login could ever succeed. Throws ConfigError naming both ways out.
 */
export function requireSecret(
  service: string,
  labSecret: string | undefined,
  alternatives: Record<string, string | undefined | boolean>,
): void {
  if (labSecret || Object.values(alternatives).some(Boolean)) return;
  const names = Object.keys(alternatives).join(' or ');
  throw new ConfigError(service, [
    `LAB_SECRET=unset: set LAB_SECRET (the same for every service; npm start generates one in-process), or ${names}`,
  ]);
}
