// The per-credential detectors (src/objects/code-failures.ts): "20 unknown or invalid codes within 60 s" holds
// for any 60 s, not only for windows aligned to the clock; one alert per subject and window, its count current.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FailureCounters } from "../../src/objects/code-failures";
import { newTeam } from "../helpers/api";

const alerts = (teamId: string) =>
  env.DB.prepare("SELECT type, subject, count, window_start FROM fraud_alerts WHERE team_id = ? ORDER BY window_start").bind(teamId).all<{ type: string; subject: string; count: number; window_start: number }>();

describe("code_enumeration and redemption_failure_burst", () => {
  it("a burst straddling a window boundary (10 before, 10 after) reaches the threshold of 20 within 60 s", async () => {
    const { owner } = await newTeam();
    const counters = new FailureCounters(env);
    const boundary = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
    for (let i = 0; i < 10; i++) await counters.note(owner.teamId, "key_A", { codes: 1, redemptions: 0 }, boundary - 5_000 + i * 100);
    for (let i = 0; i < 10; i++) await counters.note(owner.teamId, "key_A", { codes: 1, redemptions: 0 }, boundary + 1_000 + i * 100);
    expect((await alerts(owner.teamId)).results).toEqual([{ type: "code_enumeration", subject: "key_A", count: 20, window_start: boundary }]);
  });

  it("exactly at the threshold raises one alert, one below raises none; failures older than the window no longer count", async () => {
    const { owner } = await newTeam();
    const counters = new FailureCounters(env);
    const t0 = Math.floor(Date.now() / 60_000) * 60_000;
    await counters.note(owner.teamId, "key_B", { codes: 0, redemptions: 24 }, t0 + 1_000);
    expect((await alerts(owner.teamId)).results).toEqual([]);
    await counters.note(owner.teamId, "key_B", { codes: 0, redemptions: 1 }, t0 + 2_000);
    expect((await alerts(owner.teamId)).results).toEqual([{ type: "redemption_failure_burst", subject: "key_B", count: 25, window_start: t0 }]);
    // 61 s later the 25 have left the window: 24 more are not a burst.
    await counters.note(owner.teamId, "key_B", { codes: 0, redemptions: 24 }, t0 + 63_000);
    expect((await alerts(owner.teamId)).results).toHaveLength(1);
  });
});
