// Objects migrate their tables in the constructor. CREATE TABLE IF NOT EXISTS leaves an older table as it was,
// so a column added later is added here, once, to objects created before it.
export function hasColumn(sql: SqlStorage, table: string, column: string): boolean {
  return sql.exec<{ n: number }>("SELECT count(*) AS n FROM pragma_table_info(?) WHERE name = ?", table, column).one().n > 0;
}

export function addColumnIfMissing(sql: SqlStorage, table: string, column: string, definition: string) {
  if (!hasColumn(sql, table, column)) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
}

/**
 * Runs `migrate` unless the object's tables are already at `version`, so that a warm start costs one query rather
 * than a CREATE … IF NOT EXISTS per table and index. `migrate` must be idempotent (it runs again after a crash).
 * With `unlessEmpty`, an object with no tables at all is left without them (and false returned): creating them
 * is what makes an object's storage, so an object asked about something that does not exist keeps none.
 */
export function ensureSchema(sql: SqlStorage, version: number, migrate: () => void, { unlessEmpty = false } = {}): boolean {
  let current = 0;
  try {
    current = sql.exec<{ v: number }>("SELECT version AS v FROM schema_version").one().v;
  } catch {
    // No schema_version table yet: a new object, or one from before it existed.
    if (unlessEmpty && sql.exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").one().n === 0) return false;
  }
  if (current >= version) return true;
  migrate();
  sql.exec("CREATE TABLE IF NOT EXISTS schema_version (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), version INTEGER NOT NULL)");
  sql.exec("INSERT INTO schema_version (singleton, version) VALUES (1, ?) ON CONFLICT (singleton) DO UPDATE SET version = excluded.version", version);
  return true;
}

/**
 * An object's tables, created only once it has something to keep: an object addressed for something that does not
 * exist (a guessed code) must leave no storage behind. `exist` is false until create() has run, or the object
 * already had tables when it started (migrated then to `version`).
 */
export class LazyTables {
  exist: boolean;

  constructor(
    private readonly sql: SqlStorage,
    private readonly version: number,
    private readonly migrate: () => void,
  ) {
    this.exist = ensureSchema(sql, version, migrate, { unlessEmpty: true });
  }

  create() {
    if (!this.exist) this.exist = ensureSchema(this.sql, this.version, this.migrate);
  }
}
