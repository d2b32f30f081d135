/**
 * Who may do what and see which lamps: one pure module, the model being the broker's policy.
 * REST operations, the WebSocket, the live view, commands and reports all ask here; nothing else
 * in the gateway compares a role or a vendor id.
 *
 * The rules:
 * - a role holds the permissions listed in `auth/roles.ts`; anything else is refused;
 * - a vendor sees only lamps of its own models, and with them only its own vendor and models;
 * - an alarm that names no lamp (a segment's supply loss) concerns every vendor on the segment:
 *   a vendor with lamps there sees it, with a text that does not count other vendors' lamps;
 * - a vendor sees a command only when every lamp it went to is theirs, and never who sent it;
 * - a vendor's report and trials are that vendor's only; a trial's lamps under test are its
 *   vendor's, and a vendor sees a control group only as figures (never another vendor's model).
 */
import type { Alarm } from '../../shared/contract/index.ts';
import type { LampPost, Registry } from '../../shared/registry/index.ts';
import type { LampFilter } from '../../shared/storage/port.ts';
import type { CommandSummary } from './api.ts';
import { can, type Principal } from './auth/roles.ts';
import { GatewayError } from './errors.ts';
import type { Access } from './rest/operation.ts';
import type { Trial, TrialInput } from './trials/trial.ts';

const ONLY_OWN_LAMPS = 'vendors see only their own lamps';

/** May this caller (undefined: no valid token) call an operation with this access? */
export function checkAccess(p: Principal | undefined, access: Access): void {
  if (access === 'public') return;
  if (!p) throw new GatewayError('unauthenticated', 'a valid bearer token is required');
  if (access === 'authenticated') return;
  if (!can(p.role, access)) throw new GatewayError('forbidden', `role ${p.role} may not ${access}`);
}

/** The vendor whose lamps alone the caller may see; undefined: every lamp. */
export function vendorScope(p: Principal): string | undefined {
  return p.role === 'vendor' ? (p.vendorId ?? '\0none') : undefined;
}

/** May the caller see things of this vendor (a lamp's, a model's, the vendor itself)? */
export function seesVendor(p: Principal, vendorId: string | undefined): boolean {
  const own = vendorScope(p);
  return own === undefined || vendorId === own;
}

export function seesLamp(p: Principal, lampId: string, registry: Registry): boolean {
  return seesVendor(p, registry.vendorOf(lampId)?.id);
}

/** The lamp, when it exists (404) and the caller may see it (403). */
export function visibleLamp(p: Principal, lampId: string, registry: Registry): LampPost {
  const lamp = registry.lamp(lampId);
  if (!lamp) throw new GatewayError('not_found', `no lamp ${lampId}`);
  if (!seesLamp(p, lampId, registry)) throw new GatewayError('forbidden', ONLY_OWN_LAMPS);
  return lamp;
}

/** The caller's own vendor report only (403 for another vendor's). */
export function checkVendorVisible(p: Principal, vendorId: string): void {
  if (!seesVendor(p, vendorId)) throw new GatewayError('forbidden', 'vendors see only their own');
}

/**
 * A storage filter narrowed to what the caller may see: 403 when it names another vendor, a
 * lamp or a model of another vendor; a vendor's filter always carries its vendor id.
 */
export function scopeFilter(p: Principal, filter: LampFilter, registry: Registry): LampFilter {
  const own = vendorScope(p);
  if (own === undefined) return filter;
  if (filter.vendorId !== undefined && filter.vendorId !== own)
    throw new GatewayError('forbidden', ONLY_OWN_LAMPS);
  for (const id of filter.lampIds ?? []) visibleLamp(p, id, registry);
  if (filter.modelId !== undefined && registry.model(filter.modelId)?.vendorId !== own)
    throw new GatewayError('forbidden', 'vendors see only their own models');
  return { ...filter, vendorId: own };
}

/** Does a lamp, given its registry entry and vendor, match a filter the store would apply? */
export function matchesFilter(
  lamp: { id: string; segmentId: string; modelId: string },
  vendorId: string | undefined,
  f: LampFilter,
): boolean {
  if (f.lampIds !== undefined && !f.lampIds.includes(lamp.id)) return false;
  if (f.segmentId !== undefined && lamp.segmentId !== f.segmentId) return false;
  if (f.modelId !== undefined && lamp.modelId !== f.modelId) return false;
  if (f.vendorId !== undefined && vendorId !== f.vendorId) return false;
  return true;
}

/** The registry lamps a (scoped) filter covers. */
export function lampsMatching(registry: Registry, f: LampFilter): LampPost[] {
  const base =
    f.segmentId !== undefined
      ? registry.lampsInSegment(f.segmentId)
      : f.vendorId !== undefined
        ? registry.lampsOfVendor(f.vendorId)
        : registry.lamps;
  return base.filter((l) => matchesFilter(l, registry.model(l.modelId)?.vendorId, f));
}

export function seesAlarm(
  p: Principal,
  alarm: Pick<Alarm, 'lampId' | 'segmentId'> & { vendorId?: string },
  registry: Registry,
): boolean {
  if (vendorScope(p) === undefined) return true;
  if (alarm.lampId === undefined)
    return (
      alarm.segmentId !== undefined &&
      registry.lampsInSegment(alarm.segmentId).some((l) => seesLamp(p, l.id, registry))
    );
  return seesVendor(p, alarm.vendorId ?? registry.vendorOf(alarm.lampId)?.id);
}

/**
 * An alarm as the caller may see it. A segment's alarm concerns every vendor on the segment;
 * its text counts everyone's lamps, so a vendor gets a text that names only the segment.
 */
export function alarmView<A extends Pick<Alarm, 'lampId' | 'segmentId' | 'type' | 'detail'>>(
  p: Principal,
  alarm: A,
): A {
  if (vendorScope(p) === undefined || alarm.lampId !== undefined) return alarm;
  const cleared = alarm.detail.startsWith('cleared: ') ? 'cleared: ' : '';
  return { ...alarm, detail: `${cleared}${alarm.type} on segment ${alarm.segmentId}` };
}

/** Every lamp the command went to is the caller's. */
export function seesCommand(p: Principal, lampIds: Iterable<string>, registry: Registry): boolean {
  if (vendorScope(p) === undefined) return true;
  for (const id of lampIds) if (!seesLamp(p, id, registry)) return false;
  return true;
}

/** May the caller follow every command's updates live (vendors may not: they name operators)? */
export function followsAllCommands(p: Principal): boolean {
  return vendorScope(p) === undefined;
}

/** What a vendor sees as a command's sender; no user name can look like it. */
export const WITHHELD = '(withheld)';

/** A command as the caller may see it: vendors are not told which operator sent it. */
export function commandView(p: Principal, c: CommandSummary): CommandSummary {
  return vendorScope(p) === undefined ? c : { ...c, issuedBy: WITHHELD };
}

const invalid = (message: string, path: string) =>
  new GatewayError('invalid', message, [{ path, message }]);

/** May the caller define this trial? 403 for another vendor's; 400 for lamps not the vendor's. */
export function checkTrialDefinable(p: Principal, t: TrialInput, registry: Registry): void {
  checkVendorVisible(p, t.vendorId);
  if (!registry.vendor(t.vendorId)) throw new GatewayError('not_found', `no vendor ${t.vendorId}`);
  for (const id of t.test.lampIds)
    if (registry.vendorOf(id)?.id !== t.vendorId)
      throw invalid(`lamp ${id} is not a lamp of ${t.vendorId}`, 'test.lampIds');
  for (const id of t.test.modelIds)
    if (registry.model(id)?.vendorId !== t.vendorId)
      throw invalid(`model ${id} is not a model of ${t.vendorId}`, 'test.modelIds');
  const c = t.control;
  if (c.kind === 'model') {
    const model = registry.model(c.modelId);
    // A vendor names only its own models; the id of another's would reveal it.
    if (!model || !seesVendor(p, model.vendorId))
      throw invalid(`no model ${c.modelId}`, 'control.modelId');
  }
  if (c.kind === 'segment' && !registry.segments.some((s) => s.id === c.segmentId))
    throw invalid('no such segment', 'control.segmentId');
}

/** The trial as the caller may see it: a vendor never sees another vendor's model named. */
export function trialView(p: Principal, t: Trial, registry: Registry): Trial {
  if (vendorScope(p) === undefined) return t;
  const c = t.control;
  const hidden = c.kind === 'model' && !seesVendor(p, registry.model(c.modelId)?.vendorId);
  return {
    ...t,
    ...(hidden ? { control: { kind: 'model', modelId: 'withheld' } as const } : {}),
    // As with commands, a vendor is not told which operator defined a trial for them.
    createdBy: t.createdBy === p.username ? t.createdBy : WITHHELD,
  };
}

export function seesTrial(p: Principal, t: Pick<Trial, 'vendorId'>): boolean {
  return seesVendor(p, t.vendorId);
}
