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
export function ownerFilter<K extends string>(
  principal: Principal,
  ownerField: K,
): Record<string, unknown> | undefined {
  if (principal.isAdmin) return undefined;
  if (principal.userId === null) return { [ownerField]: null };
  return { $or: [{ [ownerField]: null }, { [ownerField]: principal.userId }] };
}

export function canSee(principal: Principal, ownerId: string | null | undefined): boolean {
  return principal.isAdmin || ownerId == null || ownerId === principal.userId;
}
