// Access tokens: short-lived HS256 JWTs. The algorithm is pinned on verification, so a token that names
// another algorithm (none, RS256 with the secret as a public key, …) is refused.
import { sign, verify } from "hono/jwt";

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;
const ALG = "HS256" as const;
const ISSUER = "vauchflow";

export type AccessClaims = { sub: string; sid: string };

function secretOf(secret: string | undefined): string {
  // A missing or short secret is a deployment mistake: fail closed rather than sign with something guessable.
  if (!secret || secret.length < 32) throw new Error("JWT_SECRET is not configured");
  return secret;
}

export async function signAccessToken(claims: AccessClaims, secret: string | undefined, now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  return sign({ ...claims, typ: "access", iss: ISSUER, iat, exp: iat + ACCESS_TOKEN_TTL_SECONDS }, secretOf(secret), ALG);
}

export async function verifyAccessToken(token: string, secret: string | undefined): Promise<AccessClaims | null> {
  try {
    const payload = await verify(token, secretOf(secret), { alg: ALG, iss: ISSUER });
    if (payload.typ !== "access" || typeof payload.sub !== "string" || typeof payload.sid !== "string") return null;
    return { sub: payload.sub, sid: payload.sid };
  } catch (err) {
    if (err instanceof Error && err.message === "JWT_SECRET is not configured") throw err;
    return null;
  }
}
