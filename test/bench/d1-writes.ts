// D1's write transactions, counted from log lines: the ledger consumer's `ledger_written` (its transactions,
// rows and lag) and Miniflare's queue broker's `QUEUE vauchflow-audit-local n/m` (one per audit delivery, which
// the audit consumer writes in one transaction).
import type { LogLine } from "./server.ts";

type Write = { at: number; kind: "ledger" | "audit"; transactions: number; messages: number; rows: number; lagMs: number | null; writeMs: number };

export type D1Load = {
  ledgerPerSecond: number;
  auditPerSecond: number;
  rowsPerLedgerTransaction: number | null;
  /** Local D1's time per ledger delivery (its transactions), as the consumer measured it. */
  msPerLedgerDelivery: number | null;
  ledgerMessagesPerSecond: number;
  ledgerLagMs: number | null;
};

export class D1Writes {
  private writes: Write[] = [];

  readonly onLog = (line: LogLine) => {
    const audit = /^QUEUE vauchflow-audit-local (\d+)\/(\d+)/.exec(line.message);
    if (audit) {
      if (Number(audit[1]) > 0) this.writes.push({ at: line.at, kind: "audit", transactions: 1, messages: Number(audit[1]), rows: Number(audit[1]), lagMs: null, writeMs: 0 });
      return;
    }
    if (!line.message.includes("ledger_written")) return;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line.message.slice(line.message.indexOf("{"))) as Record<string, unknown>;
    } catch {
      return;
    }
    if (parsed.event === "ledger_written" && Number(parsed.transactions) > 0) {
      this.writes.push({ at: line.at, kind: "ledger", transactions: Number(parsed.transactions), messages: Number(parsed.messages), rows: Number(parsed.rows), lagMs: typeof parsed.lag_ms === "number" ? parsed.lag_ms : null, writeMs: Number(parsed.write_ms ?? 0) });
    }
  };

  /** Waits until the consumers have written for a while nothing new (at most 20 s): the load's writes have landed. */
  async settled(quietMs = 2_000): Promise<number> {
    const started = performance.now();
    for (;;) {
      const last = this.writes.at(-1)?.at ?? 0;
      const now = performance.now();
      if (now - Math.max(last, started) >= quietMs || now - started > 20_000) return Math.max(last, started);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Write transactions between two moments (performance.now()), per second of `seconds` (the load's duration). */
  between(start: number, end: number, seconds = (end - start) / 1000): D1Load {
    const inside = this.writes.filter((w) => w.at >= start && w.at < end);
    const ledger = inside.filter((w) => w.kind === "ledger");
    const transactions = ledger.reduce((n, w) => n + w.transactions, 0);
    return {
      ledgerPerSecond: transactions / seconds,
      auditPerSecond: inside.filter((w) => w.kind === "audit").length / seconds,
      rowsPerLedgerTransaction: transactions > 0 ? ledger.reduce((n, w) => n + w.rows, 0) / transactions : null,
      msPerLedgerDelivery: ledger.length > 0 ? ledger.reduce((n, w) => n + w.writeMs, 0) / ledger.length : null,
      ledgerMessagesPerSecond: ledger.reduce((n, w) => n + w.messages, 0) / seconds,
      ledgerLagMs: ledger.length > 0 ? Math.max(...ledger.map((w) => w.lagMs ?? 0)) : null,
    };
  }
}
