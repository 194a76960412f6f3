// D1's write transactions, counted from the lines the queue consumers log, one per transaction they commit:
// `ledger_written` (the ledger stream, with its rows and its lag) and `audit_written` (the audit log).
import type { LogLine } from "./server.ts";

type Write = { at: number; kind: "ledger" | "audit"; transactions: number; messages: number; rows: number; lagMs: number | null };

export type D1Load = { ledgerPerSecond: number; auditPerSecond: number; rowsPerLedgerTransaction: number | null; ledgerMessagesPerSecond: number; ledgerLagMs: number | null };

export class D1Writes {
  private writes: Write[] = [];

  readonly onLog = (line: LogLine) => {
    if (process.env.SHOW_LEDGER && line.message.includes("ledger_written")) console.log(line.message);
    if (!line.message.includes("_written")) return;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line.message.slice(line.message.indexOf("{"))) as Record<string, unknown>;
    } catch {
      return;
    }
    if (parsed.event === "ledger_written" && Number(parsed.transactions) > 0) {
      this.writes.push({ at: line.at, kind: "ledger", transactions: Number(parsed.transactions), messages: Number(parsed.messages), rows: Number(parsed.rows), lagMs: typeof parsed.lag_ms === "number" ? parsed.lag_ms : null });
    } else if (parsed.event === "audit_written") {
      this.writes.push({ at: line.at, kind: "audit", transactions: 1, messages: Number(parsed.messages), rows: Number(parsed.messages), lagMs: null });
    }
  };

  /** Write transactions per second between two moments (performance.now()). */
  between(start: number, end: number): D1Load {
    const seconds = (end - start) / 1000;
    const inside = this.writes.filter((w) => w.at >= start && w.at < end);
    const ledger = inside.filter((w) => w.kind === "ledger");
    const transactions = ledger.reduce((n, w) => n + w.transactions, 0);
    return {
      ledgerPerSecond: transactions / seconds,
      auditPerSecond: inside.filter((w) => w.kind === "audit").length / seconds,
      rowsPerLedgerTransaction: transactions > 0 ? ledger.reduce((n, w) => n + w.rows, 0) / transactions : null,
      ledgerMessagesPerSecond: ledger.reduce((n, w) => n + w.messages, 0) / seconds,
      ledgerLagMs: ledger.length > 0 ? Math.max(...ledger.map((w) => w.lagMs ?? 0)) : null,
    };
  }
}
