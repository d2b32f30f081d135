/**
 * The services' MQTT accounts. A service logs in under a username that its
 * `<ROLE>_MQTT_USERNAME` variable may change; its derived password comes from its role, never
 * from that username, so the broker (which maps usernames to roles with the same variables)
 * and the service agree whatever the name.
 */
import { z } from 'zod';
import { env } from '../config.ts';
import { deriveDevicePassword } from './deviceCredentials.ts';

export const SERVICE_ROLES = ['processor', 'gateway', 'simulator', 'admin'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

/** The development password of a service account, derived from the lab secret and the role. */
export function servicePassword(role: ServiceRole, labSecret: string): string {
  // The `svc:` prefix keeps service accounts apart from any device id.
  return deriveDevicePassword(labSecret, `svc:${role}`);
}

/** The password a service logs in with: the explicit one, else derived; undefined with neither. */
export function mqttPasswordOf(
  role: ServiceRole,
  explicit: string | undefined,
  labSecret: string | undefined,
): string | undefined {
  if (explicit) return explicit;
  return labSecret ? servicePassword(role, labSecret) : undefined;
}

/** The username variables, shared by each service's config and the broker's. */
export const ServiceUsernameEnvShape = {
  PROCESSOR_MQTT_USERNAME: env.string('processor'),
  GATEWAY_MQTT_USERNAME: env.string('gateway'),
  SIMULATOR_MQTT_USERNAME: env.string('simulator'),
  ADMIN_MQTT_USERNAME: env.string('admin'),
};
const ServiceUsernameEnv = z.object(ServiceUsernameEnvShape);
type ServiceUsernameConfig = z.infer<typeof ServiceUsernameEnv>;

export type ServiceUsernames = Readonly<Record<ServiceRole, string>>;

export const DEFAULT_SERVICE_USERNAMES: ServiceUsernames = {
  processor: 'processor',
  gateway: 'gateway',
  simulator: 'simulator',
  admin: 'admin',
};

export function serviceUsernames(config: ServiceUsernameConfig): ServiceUsernames {
  return {
    processor: config.PROCESSOR_MQTT_USERNAME,
    gateway: config.GATEWAY_MQTT_USERNAME,
    simulator: config.SIMULATOR_MQTT_USERNAME,
    admin: config.ADMIN_MQTT_USERNAME,
  };
}

/** The role a username logs in as, or undefined for a device (or stranger). */
export function roleOfUsername(
  usernames: ServiceUsernames,
  username: string,
): ServiceRole | undefined {
  return SERVICE_ROLES.find((role) => usernames[role] === username);
}

/**
 * Problems with a set of usernames, one line each: two roles under one name, or a service
 * named like a device (it would take that device's identity).
 */
export function usernameProblems(
  usernames: ServiceUsernames,
  isDevice: (id: string) => boolean,
): string[] {
  const problems: string[] = [];
  const variable = (role: ServiceRole) => `${role.toUpperCase()}_MQTT_USERNAME`;
  SERVICE_ROLES.forEach((role, i) => {
    const name = usernames[role];
    const twin = SERVICE_ROLES.slice(0, i).find((r) => usernames[r] === name);
    if (twin) problems.push(`${variable(role)}=${JSON.stringify(name)}: also ${variable(twin)}`);
    if (isDevice(name))
      problems.push(
        `${variable(role)}=${JSON.stringify(name)}: a device of the inventory has this id`,
      );
  });
  return problems;
}
