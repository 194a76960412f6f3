// Objects migrate their tables in the constructor. CREATE TABLE IF NOT EXISTS leaves an older table as it was,
// so a column added later is added here, once, to objects created before it.
export function hasColumn(sql: SqlStorage, table: string, column: string): boolean {
  return sql.exec<{ n: number }>("SELECT count(*) AS n FROM pragma_table_info(?) WHERE name = ?", table, column).one().n > 0;
}

export function addColumnIfMissing(sql: SqlStorage, table: string, column: string, definition: string) {
  if (!hasColumn(sql, table, column)) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
}
