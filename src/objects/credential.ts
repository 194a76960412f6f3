// One Durable Object per credential. For an API key (named by the key id embedded in the key) it is the
// authority on whether a secret is valid right now (revocation, expiry, rotation grace) and it holds the key's
// rate-limit window, so authentication and the rate limit cost one round trip together and no cache can outlive
// a revocation. D1's api_keys row is the listing copy; the object fills itself from it on first use and is told
// of every change by the api-keys service. For a dashboard user (named user:<id>) and for login attempts on one
// email (login:<email>) it holds only the window (for login attempts, in memory only).
import { DurableObject } from "cloudflare:workers";
import type { Env, KeyType } from "../env";
import { constantTimeEqual } from "../lib/crypto";
import { FailureCounters } from "./code-failures";
import type { Failures } from "../domain/fraud";

export type KeyState = {
  id: string;
  teamId: string;
  type: KeyType;
  environment: "staging" | "production";
  scopes: string[];
  allowedOrigins: string[];
  rateLimitPerMinute: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
  secrets: { hash: string; expiresAt: number | null }[];
  /** Counts rotations, so D1's listing copy takes only a later one's secrets. Absent in states kept before it: 0. */
  revision?: number;
};

/** A rotation as the object made it: D1's copy is written from this, guarded by `revision`. */
export type Rotation = { revision: number; secrets: KeyState["secrets"] };

export type AuthenticatedKey = Omit<KeyState, "secrets" | "revokedAt">;
export type RateDecision = { allowed: boolean; limit: number; remaining: number; resetSeconds: number };
export type AuthResult =
  | { ok: true; key: AuthenticatedKey; touch: boolean; rate: RateDecision }
  /** teamId is known when the key exists (revoked, expired, wrong secret), so the denial can be audited. */
  | { ok: false; teamId: string | null };

export const RATE_WINDOW_MS = 60_000;
/** In memory: admitted so far and reserved (already persisted as possibly used). In storage: start and reserved. */
type RateWindow = { start: number; count: number; reserved: number };
type PersistedWindow = { start: number; reserved: number };

/**
 * Admissions are persisted ahead, a block at a time: about 20 writes per full window instead of one per request
 * (a write per request cost about 40 % of validate throughput, BENCHMARKS.md). A restarted object counts the
 * whole reserved block as used, so a restart can only under-admit, by at most one block.
 */
const blockSize = (limit: number) => Math.max(1, Math.ceil(limit / 20));

/** How often, at most, a key's last_used_at is written back to D1. */
const TOUCH_INTERVAL_MS = 60_000;

export class CredentialObject extends DurableObject<Env> {
  private state: KeyState | null | undefined;
  private lastTouch = 0;
  private window: RateWindow | undefined;
  private failureCounters: FailureCounters | undefined;

  /** Whether key_state exists: it is made with the first key state kept, so an object that keeps none has no storage. */
  private hasTable: boolean;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.hasTable = ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE name = 'key_state'").one().n > 0;
  }

  /** Checks the secret and, when it is valid, admits the request against the key's window (default limit unless the key sets one). */
  /** `failures`: the credential's failed codes and refused redemptions an isolate saw since its last authentication. */
  async authenticate(keyId: string, secretHash: string, defaultLimit: number, failures?: Failures): Promise<AuthResult> {
    // The object's own clock, never the caller's: callers' clocks may disagree, the window must not.
    const now = Date.now();
    const state = await this.load(keyId);
    if (!state) return { ok: false, teamId: null };
    if (state.revokedAt !== null || (state.expiresAt !== null && state.expiresAt <= now)) return { ok: false, teamId: state.teamId };
    let matched = false;
    for (const secret of state.secrets) {
      const live = secret.expiresAt === null || secret.expiresAt > now;
      // Compare every stored secret so timing does not reveal which one matched.
      if (constantTimeEqual(secret.hash, secretHash) && live) matched = true;
    }
    if (!matched) return { ok: false, teamId: state.teamId };
    if (failures) this.countFailures(state.teamId, keyId, failures, now);
    const rate = await this.admit(state.rateLimitPerMinute ?? defaultLimit, now);
    const touch = rate.allowed && now - this.lastTouch >= TOUCH_INTERVAL_MS;
    if (touch) this.lastTouch = now;
    const { secrets: _secrets, revokedAt: _revoked, ...key } = state;
    return { ok: true, key, touch, rate };
  }

  /** Failures handed over when no request of the credential followed to carry them. */
  async noteFailures(keyId: string, failures: Failures): Promise<void> {
    const state = await this.load(keyId);
    if (state) this.countFailures(state.teamId, keyId, failures, Date.now());
  }

  private countFailures(teamId: string, subject: string, failures: Failures, now: number) {
    this.failureCounters ??= new FailureCounters(this.env);
    // Off the answer: the count and the rare alert write never hold the request that carried them.
    this.ctx.waitUntil(
      this.failureCounters
        .note(teamId, subject, failures, now)
        .catch((err) => console.error(JSON.stringify({ level: "error", fraud: "credential_failures", error: err instanceof Error ? err.message : String(err) }))),
    );
  }

  /**
   * For an approved agent request, run later as the agent: no secret is presented (a human approved it), but the
   * key must still be live now, and the request counts against its window like any other.
   */
  async admitApproved(keyId: string, defaultLimit: number): Promise<AuthResult> {
    const now = Date.now();
    const state = await this.load(keyId);
    if (!state) return { ok: false, teamId: null };
    if (state.revokedAt !== null || (state.expiresAt !== null && state.expiresAt <= now)) return { ok: false, teamId: state.teamId };
    const rate = await this.admit(state.rateLimitPerMinute ?? defaultLimit, now);
    const { secrets: _secrets, revokedAt: _revoked, ...key } = state;
    return { ok: true, key, touch: false, rate };
  }

  /**
   * The rate limit alone, for dashboard users (their JWT is verified without a round trip). `persist: false` counts
   * in memory only (login attempts per email: anyone may try any email, and each must not leave storage behind; an
   * object restarts only after it has been left alone, which ends the attempts it would forget).
   */
  async hit(limit: number, persist = true): Promise<RateDecision> {
    return this.admit(limit, Date.now(), persist);
  }

  /**
   * Fixed window anchored at the first request after the previous window ended. The object handles one call at a
   * time, so no window ever admits more than the limit, whatever the concurrency, and the reserved block in
   * storage keeps that true across a restart.
   */
  private async admit(limit: number, now: number, persist = true): Promise<RateDecision> {
    if (!this.window) {
      const saved = await this.ctx.storage.get<PersistedWindow>("rate_window");
      this.window = saved ? { start: saved.start, count: saved.reserved, reserved: saved.reserved } : { start: 0, count: 0, reserved: 0 };
    }
    const window = this.window;
    if (now >= window.start + RATE_WINDOW_MS) {
      window.start = now;
      window.count = 0;
      window.reserved = 0;
    }
    const resetSeconds = Math.max(1, Math.ceil((window.start + RATE_WINDOW_MS - now) / 1000));
    if (window.count >= limit) return { allowed: false, limit, remaining: 0, resetSeconds };
    window.count += 1;
    if (persist && window.count > window.reserved) {
      window.reserved = Math.min(limit, window.count - 1 + blockSize(limit));
      // Not awaited: the output gate holds this answer until the write is durable, and the next call may proceed.
      void this.ctx.storage.put<PersistedWindow>("rate_window", { start: window.start, reserved: window.reserved });
    }
    return { allowed: true, limit, remaining: limit - window.count, resetSeconds };
  }

  /** Called when a key is created: the object starts with the full state, no D1 read needed. */
  async install(state: KeyState): Promise<void> {
    this.save(state);
  }

  /** Null if the key is gone or revoked. The previous secret kept is the one live here now, whatever the caller read. */
  async rotate(keyId: string, newHash: string, previousExpiresAt: number | null): Promise<Rotation | null> {
    const now = Date.now();
    const state = await this.load(keyId);
    if (!state || state.revokedAt !== null) return null;
    const current = state.secrets.find((s) => s.expiresAt === null);
    const secrets: KeyState["secrets"] = [{ hash: newHash, expiresAt: null }];
    if (current && previousExpiresAt !== null && previousExpiresAt > now) secrets.push({ hash: current.hash, expiresAt: previousExpiresAt });
    const revision = (state.revision ?? 0) + 1;
    this.save({ ...state, secrets, revision });
    return { revision, secrets };
  }

  async revoke(keyId: string, at: number): Promise<void> {
    const state = await this.load(keyId);
    if (state && state.revokedAt === null) this.save({ ...state, revokedAt: at });
  }

  private save(state: KeyState) {
    if (!this.hasTable) {
      this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS key_state (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), data TEXT NOT NULL)");
      this.hasTable = true;
    }
    this.ctx.storage.sql.exec(
      "INSERT INTO key_state (singleton, data) VALUES (1, ?) ON CONFLICT (singleton) DO UPDATE SET data = excluded.data",
      JSON.stringify(state),
    );
    this.state = state;
  }

  private async load(keyId: string): Promise<KeyState | null> {
    if (this.state) return this.state;
    const stored = this.hasTable ? this.ctx.storage.sql.exec<{ data: string }>("SELECT data FROM key_state").toArray()[0] : undefined;
    if (stored) {
      this.state = JSON.parse(stored.data) as KeyState;
      return this.state;
    }
    const row = await this.env.DB.prepare(
      `SELECT id, team_id, type, environment, scopes, allowed_origins, rate_limit_per_minute, expires_at, revoked_at,
              secret_hash, previous_secret_hash, previous_secret_expires_at, state_revision
         FROM api_keys WHERE id = ?`,
    )
      .bind(keyId)
      .first<Record<string, string | number | null>>();
    // Another call may have installed or loaded the state while D1 answered: that one is at least as fresh.
    if (this.state) return this.state;
    if (!row) return null;
    const secrets: KeyState["secrets"] = [{ hash: String(row.secret_hash), expiresAt: null }];
    if (row.previous_secret_hash) secrets.push({ hash: String(row.previous_secret_hash), expiresAt: Number(row.previous_secret_expires_at) });
    const state: KeyState = {
      id: String(row.id),
      teamId: String(row.team_id),
      type: row.type as KeyType,
      environment: row.environment as KeyState["environment"],
      scopes: JSON.parse(String(row.scopes)) as string[],
      allowedOrigins: JSON.parse(String(row.allowed_origins)) as string[],
      rateLimitPerMinute: row.rate_limit_per_minute === null ? null : Number(row.rate_limit_per_minute),
      expiresAt: row.expires_at === null ? null : Number(row.expires_at),
      revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
      secrets,
      revision: Number(row.state_revision ?? 0),
    };
    this.save(state);
    return state;
  }
}
