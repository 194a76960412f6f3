// One Durable Object per (team, Idempotency-Key). It serializes attempts: the first runs, concurrent ones are
// told the key is in use, later ones get the stored answer. A running attempt holds a lease, so a crashed
// attempt frees the key when the lease ends. Answers are kept 24 hours, then an alarm deletes everything.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const LEASE_MS = 60_000;

/** `body` is sealed by the middleware; `teamId` is the team the first attempt was authorized for. */
export type StoredAnswer = { status: number; body: string; contentType: string | null; teamId: string | null };

type Record =
  | { state: "running"; fingerprint: string; attempt: string; leaseUntil: number; createdAt: number }
  | { state: "done"; fingerprint: string; answer: StoredAnswer; createdAt: number };

export type BeginResult =
  | { kind: "execute"; attempt: string }
  | { kind: "replay"; answer: StoredAnswer }
  | { kind: "mismatch" }
  | { kind: "in_use" };

export class IdempotencyObject extends DurableObject<Env> {
  private record: Record | null | undefined;

  private async current(now: number): Promise<Record | null> {
    this.record ??= (await this.ctx.storage.get<Record>("record")) ?? null;
    if (this.record && now >= this.record.createdAt + IDEMPOTENCY_TTL_MS) this.record = null;
    return this.record;
  }

  private async store(record: Record | null) {
    this.record = record;
    if (record) await this.ctx.storage.put("record", record);
    else await this.ctx.storage.delete("record");
  }

  async begin(fingerprint: string): Promise<BeginResult> {
    const now = Date.now();
    const record = await this.current(now);
    if (record && record.fingerprint !== fingerprint) return { kind: "mismatch" };
    if (record?.state === "done") return { kind: "replay", answer: record.answer };
    if (record?.state === "running" && record.leaseUntil > now) return { kind: "in_use" };
    // New key, or the previous attempt's lease ran out (it crashed or hung): this attempt takes over.
    const attempt = crypto.randomUUID();
    await this.store({ state: "running", fingerprint, attempt, leaseUntil: now + LEASE_MS, createdAt: record?.createdAt ?? now });
    if (!record) await this.ctx.storage.setAlarm(now + IDEMPOTENCY_TTL_MS);
    return { kind: "execute", attempt };
  }

  /**
   * Keeps the answer of a finished attempt. A 5xx, or no answer at all (the request was refused before it was
   * authorized), is not kept, so the key can be retried at once.
   */
  async complete(attempt: string, answer: StoredAnswer | null): Promise<void> {
    const record = await this.current(Date.now());
    if (record?.state !== "running" || record.attempt !== attempt) return;
    if (!answer || answer.status >= 500) await this.store(null);
    else await this.store({ state: "done", fingerprint: record.fingerprint, answer, createdAt: record.createdAt });
  }

  override async alarm(): Promise<void> {
    this.record = null;
    await this.ctx.storage.deleteAll();
  }
}
