// Many rows through one bound parameter: a statement reads its rows from a JSON array with json_each(?1), so a
// write of hundreds of rows binds one parameter (D1 allows 100) and stays under D1's statement size.
export type Cell = string | number | null;
export type Row = Cell[];

/** Bytes of one statement's JSON parameter: well under D1's 100 KB. */
export const ROWS_MAX_BYTES = 90_000;

const encoder = new TextEncoder();

/** The rows as JSON arrays of at most ROWS_MAX_BYTES each (a single larger row still gets its own). */
export function jsonChunks(rows: readonly Row[]): string[] {
  const out: string[] = [];
  let part: string[] = [];
  let bytes = 2;
  for (const row of rows) {
    const json = JSON.stringify(row);
    const size = encoder.encode(json).byteLength + 1;
    if (part.length > 0 && bytes + size > ROWS_MAX_BYTES) {
      out.push(`[${part.join(",")}]`);
      part = [];
      bytes = 2;
    }
    part.push(json);
    bytes += size;
  }
  if (part.length > 0) out.push(`[${part.join(",")}]`);
  return out;
}

/** `json_extract(value, '$[i]') AS name` for each name: the columns of a row read from json_each. */
export const jsonColumns = (names: readonly string[]) => names.map((name, i) => `json_extract(value, '$[${i}]') AS ${name}`).join(", ");
