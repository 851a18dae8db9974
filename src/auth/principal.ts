import { ForbiddenException } from '@nestjs/common';

/** Who makes a request or holds a socket: the JWT `sub` (null when anonymous) and whether they are an admin. */
export interface Principal {
  userId: string | null;
  isAdmin: boolean;
  roles: string[];
}

export const ANONYMOUS: Principal = Object.freeze({ userId: null, isAdmin: false, roles: [] }) as Principal;

/**
 * The ownership rule (qunicorn-core's): nobody sees owner-less (public) rows only; a user sees public
 * rows and their own; an admin sees all. Returns a MikroORM filter on the owner property, or
 * `undefined` when everything is visible.
 */
export function ownerFilter<K extends string>(principal: Principal, ownerField: K): OwnerFilter<K> | undefined {
  if (principal.isAdmin) return undefined;
  const is = (owner: string | null) => ({ [ownerField]: owner }) as Record<K, string | null>;
  if (principal.userId === null) return is(null);
  return { $or: [is(null), is(principal.userId)] };
}

/** The filter ownerFilter answers: the owner property is null, or one of null and the user. */
export type OwnerFilter<K extends string> = Record<K, string | null> | { $or: Record<K, string | null>[] };

export function canSee(principal: Principal, ownerId: string | null | undefined): boolean {
  return principal.isAdmin || ownerId == null || ownerId === principal.userId;
}

/**
 * The change rule: owners change (replace, cancel, delete) their own rows and admins every row; public
 * rows (owner null) are read-only to everyone else, anonymous callers included, since other users'
 * jobs depend on them. Applies to rows the principal can see; unseen rows stay a 404.
 */
export function canChange(principal: Principal, ownerId: string | null | undefined): boolean {
  return principal.isAdmin || (ownerId != null && ownerId === principal.userId);
}

/**
 * 403 unless the principal may change the row (see canChange), saying why: a visible row the caller
 * may not change is a public one (someone else's private row is never seen, and answers 404 before this).
 */
export function assertCanChange(
  principal: Principal,
  ownerId: string | null | undefined,
  what: string,
  id: string,
  action: string,
): void {
  if (canChange(principal, ownerId)) return;
  throw new ForbiddenException(
    ownerId == null
      ? `${what} ${id} is public: only an admin may ${action} it`
      : `${what} ${id} belongs to another user: only they or an admin may ${action} it`,
  );
}
