// Code patterns for generated codes: prefix + `length` random characters + suffix.
import { CHARSETS, randomCode } from "./codes";

export type CodePattern = {
  prefix: string;
  suffix: string;
  length: number;
  charset: keyof typeof CHARSETS | "custom";
  characters?: string;
};

export const DEFAULT_PATTERN: CodePattern = { prefix: "", suffix: "", length: 8, charset: "unambiguous" };

/** How many times larger than the request the code space must be, so random draws rarely collide. */
export const SPACE_MARGIN = 10;

export function alphabet(pattern: CodePattern): string {
  return pattern.charset === "custom" ? [...new Set(pattern.characters ?? "")].join("") : CHARSETS[pattern.charset];
}

export function codeSpace(pattern: CodePattern): number {
  return alphabet(pattern).length ** pattern.length;
}

/** Whether `count` codes (on top of `existing` ones) fit in the pattern's space with the safety margin. */
export function fits(pattern: CodePattern, count: number, existing = 0): boolean {
  return codeSpace(pattern) >= (count + existing) * SPACE_MARGIN;
}

export function generateCode(pattern: CodePattern): string {
  return `${pattern.prefix}${randomCode(alphabet(pattern), pattern.length)}${pattern.suffix}`.toUpperCase();
}
