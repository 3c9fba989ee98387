// Option parsing shared by the commands: node's parseArgs with strict checking, and numeric
// options validated with messages that name the option.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./errors";

export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError(
      (e as Error).message
        .split("\n")
        .join(" ")
        .replace(/^TypeError \[[A-Z_]+\]: /, ""),
    );
  }
}

export function positiveNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got "${value}"`);
  return n;
}

export function positiveInteger(name: string, value: string | undefined): number | undefined {
  const n = positiveNumber(name, value);
  if (n !== undefined && !Number.isSafeInteger(n)) throw new UsageError(`--${name} must be a whole number, got "${value}"`);
  return n;
}
