// Values for the contract fuzz test: mostly-valid values shaped by a JSON schema of the OpenAPI document (so
// requests reach past validation into the services), with hostile values mixed in at every level.
import fc from "fast-check";

export type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  items?: Schema;
  maxItems?: number;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
};

export type Components = { schemas?: Record<string, Schema> };
/** Real values to offer for properties of these names (ids of existing resources), so requests reach the services. */
export type Hints = Record<string, string[]>;

/** Builds an object from entries with own data properties, so `__proto__` is a key, never the prototype. */
export function objectOf(entries: [string, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

const nest = (depth: number, leaf: unknown, asArray: boolean): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
  return value;
};

/** Keys that break code building objects from untrusted keys, and keys no schema knows. */
export const HOSTILE_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "", " ", "unknown_field", "a.b", "x".repeat(300)];

const WEIRD_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "💥🎟️👩‍👩‍👧",
  "\u202eevil",
  "\ufeff",
  "ß",
  "İ",
  "ǅ",
  "\ud800",
  "null",
  "true",
  "NaN",
  "1e309",
  "-0",
  "%s%n%x",
  "%00",
  "../../etc/passwd",
  "'; DROP TABLE vouchers; --",
  "<script>alert(1)</script>",
  "__proto__",
  "x".repeat(10_000),
  "🎟".repeat(3_000),
];

const WEIRD_NUMBERS = [0, -0, -1, 0.5, -0.5, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53) - 2, 1e21, 1e308, -1e308, 5e-324];

/** Full-range unicode (NUL, controls, astral planes) and odd fixed strings. */
export const weirdString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...WEIRD_STRINGS), weight: 2 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }), weight: 1 },
);

/** Anything but what a schema asks for: wrong types, huge and odd strings, deep nesting, prototype keys. */
export function hostile(depth = 0): fc.Arbitrary<unknown> {
  const scalars: fc.Arbitrary<unknown> = fc.oneof(
    weirdString,
    fc.constantFrom<unknown>(...WEIRD_NUMBERS, null, true, false),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );
  if (depth > 3) return scalars;
  return fc.oneof(
    { arbitrary: scalars, weight: 6 },
    { arbitrary: fc.constantFrom<unknown>([], {}), weight: 1 },
    { arbitrary: fc.array(scalars, { maxLength: 3 }), weight: 1 },
    { arbitrary: fc.tuple(fc.integer({ min: 20, max: 3000 }), scalars, fc.boolean()).map(([d, leaf, arr]) => nest(d, leaf, arr)), weight: 1 },
    {
      arbitrary: fc.array(fc.tuple(fc.constantFrom(...HOSTILE_KEYS), fc.oneof(scalars, fc.constant<unknown>({ polluted: "yes" }))), { minLength: 1, maxLength: 3 }).map(objectOf),
      weight: 1,
    },
  );
}

export function resolve(components: Components, schema: Schema): Schema {
  let s = schema;
  for (let i = 0; i < 20 && s.$ref; i++) s = components.schemas?.[s.$ref.replace("#/components/schemas/", "")] ?? {};
  return s;
}

const BOUND = 1_000_000_000_000;

function stringFor(s: Schema): fc.Arbitrary<string> {
  if (s.format === "date-time") {
    return fc.oneof(
      fc.date({ noInvalidDate: true, min: new Date("1970-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z") }).map((d) => d.toISOString()),
      fc.constantFrom("2026-02-30T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999+14:00", "+275760-09-13T00:00:00Z", "2026-13-01T00:00:00Z"),
    );
  }
  if (s.format === "email") return fc.oneof(fc.emailAddress(), fc.constantFrom("a@b.co", "a\u0000@b.co", `${"a".repeat(250)}@b.co`));
  if (s.pattern) {
    try {
      return fc.oneof({ arbitrary: fc.stringMatching(new RegExp(s.pattern), { maxLength: 70 }), weight: 4 }, { arbitrary: weirdString, weight: 1 });
    } catch {
      // A pattern JavaScript cannot compile: fall through to plain strings.
    }
  }
  return fc.oneof({ arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: Math.min(s.maxLength ?? 40, 40) }), weight: 3 }, { arbitrary: weirdString, weight: 1 });
}

function numberFor(s: Schema, integer: boolean): fc.Arbitrary<number> {
  const min = Math.max(s.minimum ?? -BOUND, -BOUND);
  const max = Math.min(s.maximum ?? BOUND, BOUND);
  const inRange = integer ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) }) : fc.double({ min, max, noNaN: true });
  return fc.oneof({ arbitrary: inRange, weight: 6 }, { arbitrary: fc.constantFrom(min, max, min - 1, max + 1, min + 0.5, ...WEIRD_NUMBERS), weight: 1 });
}

function objectFor(components: Components, s: Schema, depth: number, hints: Hints): fc.Arbitrary<unknown> {
  const props = Object.entries(s.properties ?? {});
  const required = new Set(s.required ?? []);
  const valueOf = (key: string, prop: Schema) => {
    const real = hints[key];
    const generated = fromSchema(components, prop, depth + 1, hints);
    return real?.length ? fc.oneof(fc.constantFrom<unknown>(...real), generated) : generated;
  };
  // Unbiased percentages: fast-check otherwise favours the bounds, and every optional field would come along.
  const percent = fc.noBias(fc.integer({ min: 0, max: 99 }));
  const present = fc.tuple(...props.map(([key, prop]) => fc.tuple(fc.constant(key), valueOf(key, prop), percent)));
  // A free map (metadata): a few entries, some under hostile keys.
  const open = typeof s.additionalProperties === "object" ? s.additionalProperties : null;
  const freeKey = s.propertyNames ? fc.oneof(stringFor(resolve(components, s.propertyNames)), fc.constantFrom(...HOSTILE_KEYS)) : fc.constantFrom(...HOSTILE_KEYS);
  const extras = fc.array(fc.tuple(freeKey, open ? fromSchema(components, open, depth + 1, hints) : hostile(depth + 1)), { maxLength: open ? 4 : 1 });
  const extraPercent = open ? 100 : 5;
  return fc.tuple(present, extras, percent).map(([values, more, roll]) =>
    objectOf([
      // Required fields almost always, optional ones now and then.
      ...values.filter(([key, , keep]) => keep < (required.has(key) ? 95 : 30)).map(([key, value]): [string, unknown] => [key, value]),
      ...(roll < extraPercent ? more : []),
    ]),
  );
}

/**
 * Mostly a value the schema accepts, sometimes (at any depth) a hostile one: rarely enough that a body of a dozen
 * fields often passes validation whole and exercises what lies behind it.
 */
export function fromSchema(components: Components, schema: Schema, depth = 0, hints: Hints = {}): fc.Arbitrary<unknown> {
  const s = resolve(components, schema);
  const valid = validFor(components, s, depth, hints);
  return fc.oneof({ arbitrary: valid, weight: depth === 0 ? 4 : 12 }, { arbitrary: hostile(depth), weight: 1 });
}

function validFor(components: Components, s: Schema, depth: number, hints: Hints): fc.Arbitrary<unknown> {
  if (depth > 6) return hostile(depth);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  const branches = s.anyOf ?? s.oneOf;
  if (branches?.length) return fc.oneof(...branches.map((b) => fromSchema(components, b, depth + 1, hints)));
  if (s.allOf?.length) {
    const parts = s.allOf.map((p) => resolve(components, p));
    const merged: Schema = { type: "object", properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})), required: parts.flatMap((p) => p.required ?? []) };
    return objectFor(components, merged, depth, hints);
  }
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.length === 0) return hostile(depth);
  return fc.oneof(
    ...types.map((type): fc.Arbitrary<unknown> => {
      switch (type) {
        case "object":
          return objectFor(components, s, depth, hints);
        case "array":
          return fc.array(fromSchema(components, s.items ?? {}, depth + 1, hints), { maxLength: Math.min(s.maxItems ?? 4, 4) });
        case "string":
          return stringFor(s);
        case "integer":
          return numberFor(s, true);
        case "number":
          return numberFor(s, false);
        case "boolean":
          return fc.boolean();
        case "null":
          return fc.constant(null);
        default:
          return hostile(depth);
      }
    }),
  );
}
