import type { Principal } from '../auth/principal';
import type { AnyDomainEvent } from '../events/domain-events';
import { parseTarget, targetKey } from './realtime.contract';
import { snapshotSeq } from './realtime-snapshots';
import { ADMIN_ROOM, roomsForEvent, roomsForSubscription } from './rooms';

const JOB = '0190a000-0000-7000-8000-00000000000a';
const DEP = '0190a000-0000-7000-8000-00000000000b';
const DEV = '0190a000-0000-7000-8000-00000000000c';
const at = '2026-11-25T00:00:00.000Z';

const alice: Principal = { userId: 'alice', isAdmin: false, roles: [] };
const bob: Principal = { userId: 'bob', isAdmin: false, roles: [] };
const admin: Principal = { userId: 'root', isAdmin: true, roles: ['admin'] };
const anonymous: Principal = { userId: null, isAdmin: false, roles: [] };

function jobEvent(
  name: 'job.state' | 'job.progress',
  ownerId: string | null,
  deploymentId: string | null = DEP,
): AnyDomainEvent {
  const base = { jobId: JOB, deploymentId, deviceId: DEV, ownerId, seq: 2, at };
  return name === 'job.state'
    ? { id: 1, name, payload: { ...base, state: 'RUNNING', progress: 0 } }
    : { id: 1, name, payload: { ...base, progress: 5 } };
}

/** Who would receive an event: a socket receives it when it is in any of the event's rooms. */
function receives(p: Principal, target: Parameters<typeof roomsForSubscription>[1], event: AnyDomainEvent): boolean {
  const joined = roomsForSubscription(p, target) ?? [];
  const rooms = roomsForEvent(event);
  return joined.some((r) => rooms.includes(r));
}

describe('realtime rooms', () => {
  it('sends a public job event to its job, deployment, device and admin rooms', () => {
    expect(roomsForEvent(jobEvent('job.state', null)).sort()).toEqual(
      [`job:${JOB}`, ADMIN_ROOM, `deployment:${DEP}`, `device:${DEV}`].sort(),
    );
  });

  it('sends an owned job event to the owner and admin rooms of its scopes, never to the plain ones', () => {
    const rooms = roomsForEvent(jobEvent('job.state', 'bob'));
    expect(rooms).toContain(`deployment:${DEP}:user:bob`);
    expect(rooms).toContain(`deployment:${DEP}:admin`);
    expect(rooms).not.toContain(`deployment:${DEP}`);
    expect(rooms).not.toContain(`device:${DEV}`);
  });

  it('keeps progress, results and errors out of device rooms (the queue view)', () => {
    const rooms = roomsForEvent(jobEvent('job.progress', null));
    expect(rooms).not.toContain(`device:${DEV}`);
    expect(rooms).toContain(`deployment:${DEP}`);
  });

  it('applies the ownership rule to deployment and device subscribers', () => {
    const bobs = jobEvent('job.state', 'bob');
    const pub = jobEvent('job.state', null);
    for (const target of [{ deploymentId: DEP }, { deviceId: DEV }]) {
      expect(receives(alice, target, bobs)).toBe(false);
      expect(receives(anonymous, target, bobs)).toBe(false);
      expect(receives(bob, target, bobs)).toBe(true);
      expect(receives(admin, target, bobs)).toBe(true);
      for (const p of [alice, bob, admin, anonymous]) expect(receives(p, target, pub)).toBe(true);
    }
  });

  it('gives the all-events room to admins only', () => {
    expect(roomsForSubscription(admin, { all: true })).toEqual([ADMIN_ROOM]);
    expect(roomsForSubscription(alice, { all: true })).toBeNull();
    expect(roomsForSubscription(anonymous, { all: true })).toBeNull();
  });

  it('routes deployment and device events', () => {
    const updated: AnyDomainEvent = {
      id: 1,
      name: 'deployment.updated',
      payload: { deploymentId: DEP, ownerId: 'bob', name: 'x', at },
    };
    expect(receives(bob, { deploymentId: DEP }, updated)).toBe(true);
    expect(receives(alice, { deploymentId: DEP }, updated)).toBe(false);
    const created: AnyDomainEvent = {
      id: 1,
      name: 'deployment.created',
      payload: { deploymentId: DEP, ownerId: null, name: 'x', at },
    };
    expect(roomsForEvent(created)).toEqual([ADMIN_ROOM]);
    const status: AnyDomainEvent = {
      id: 1,
      name: 'device.status',
      payload: { deviceId: DEV, providerId: DEP, name: 'sim', status: 'offline', at },
    };
    for (const p of [alice, anonymous, admin]) expect(receives(p, { deviceId: DEV }, status)).toBe(true);
  });
});

describe('realtime targets', () => {
  it('accepts exactly one known key with a UUID, or all: true', () => {
    expect(parseTarget({ jobId: JOB.toUpperCase() })).toEqual({ target: { jobId: JOB } });
    expect(parseTarget({ all: true })).toEqual({ target: { all: true } });
    expect(parseTarget({ all: 1 })).toEqual({ error: 'all must be true' });
    expect(parseTarget({ jobId: 'x' })).toEqual({ error: 'jobId must be a UUID' });
    expect(parseTarget({ jobId: JOB, deviceId: DEV })).toHaveProperty('error');
    expect(parseTarget({ userId: 'x' })).toHaveProperty('error');
    expect(parseTarget('job')).toHaveProperty('error');
    expect(parseTarget(null)).toHaveProperty('error');
    expect(parseTarget([JOB])).toHaveProperty('error');
  });

  it('keys targets by kind and id', () => {
    expect(targetKey({ deploymentId: DEP })).toBe(`deployment:${DEP}`);
    expect(targetKey({ all: true })).toBe('all');
  });

  it('finds the seq a snapshot holds for a job', () => {
    const brief = { id: JOB, state: 'RUNNING' as const, progress: 3, seq: 7 };
    expect(snapshotSeq({ deployment: { id: DEP, name: 'd', ownerId: null }, jobs: [brief], totalJobs: 1 }, JOB)).toBe(
      7,
    );
    expect(
      snapshotSeq({ deployment: { id: DEP, name: 'd', ownerId: null }, jobs: [], totalJobs: 0 }, JOB),
    ).toBeUndefined();
    expect(snapshotSeq({ jobsByState: {}, connections: 1 }, JOB)).toBeUndefined();
  });
});
