// Objects migrate their tables in the constructor. CREATE TABLE IF NOT EXISTS leaves an older table as it was,
// so a column added later is added here, once, to objects created before it.
export function addColumnIfMissing(sql: SqlStorage, table: string, column: string, definition: string) {
  const present = sql.exec<{ n: number }>("SELECT count(*) AS n FROM pragma_table_info(?) WHERE name = ?", table, column).one().n > 0;
  if (!present) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
}
