/** Codes and ids: kept exactly as they are, so an export reads back unchanged. */
const TOKEN = /^[A-Za-z0-9_-]+$/;

/** One CSV field, quoted when needed (RFC 4180); free text is defused against spreadsheet formula injection. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  if (typeof value === "string" && !TOKEN.test(text) && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(values: unknown[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}

/**
 * Streams CSV: a header, then pages fetched one at a time (keyset pagination), so memory stays constant
 * whatever the number of rows.
 */
export function csvStream<Row>(header: string[], fetchPage: (after: Row | null) => Promise<Row[]>, toValues: (row: Row) => unknown[]) {
  const encoder = new TextEncoder();
  let last: Row | null = null;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(csvRow(header)));
        return;
      }
      const rows = await fetchPage(last);
      if (rows.length === 0) {
        controller.close();
        return;
      }
      last = rows[rows.length - 1]!;
      controller.enqueue(encoder.encode(rows.map((r) => csvRow(toValues(r))).join("")));
    },
  });
}
