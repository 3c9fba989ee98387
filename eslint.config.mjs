// ESLint (flat config) with typescript-eslint's type-aware rules: `npm run lint`; test/run.mjs runs it too.
// typescript-eslint needs TypeScript's JS API, which TypeScript 7 no longer ships: the `typescript` package is
// the 6.0 API (@typescript/typescript6) for the linter, and `tsc` comes from TypeScript 7 (@typescript/native).
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["dist/**", "out/**", "node_modules/**", "guest/**", "tools/**", "media/**", "examples/**", "recordings/**", ".cache/**", ".scratch/**", ".vscode-test/**"],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  {
    files: ["**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test/describe/it return promises that the runner itself awaits.
      "@typescript-eslint/no-floating-promises": ["error", { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "describe", "it", "suite"] }] }],
      // The DAP session's request handlers override void methods with async ones, as @vscode/debugadapter intends.
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { inheritedMethods: false } }],
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      // Off: the code marks index reads it knows are in range with `!` (as under noUncheckedIndexedAccess); the rule flags each of them.
      "@typescript-eslint/no-unnecessary-type-assertion": "off",
      // Off: async methods that implement Promise-returning interfaces keep `async` so a throw becomes a rejection.
      "@typescript-eslint/require-await": "off",
      // The DWARF evaluator throws a light Unavailable value (not an Error) and catches it itself.
      "@typescript-eslint/only-throw-error": ["error", { allow: [{ from: "file", name: "Unavailable" }] }],
      // A caught value is passed on to reject() as it is.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingUnknown: true }],
      // `_name` marks a parameter an override or interface requires but this body does not use.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true }],
      // `let [a, pos] = ...` where only pos changes stays one declaration; a `let` that closures above its one assignment read stays a `let`.
      "prefer-const": ["error", { destructuring: "all", ignoreReadBeforeAssign: true }],
      // Off: control characters in patterns are the point (RTSP's CTL, terminal escape codes).
      "no-control-regex": "off",
      // Off: runs of literal spaces in patterns match fixed-width text (hex dumps, aligned columns).
      "no-regex-spaces": "off",
    },
  },
  {
    // Tests probe parsed JSON (JSON.parse gives `any`) and package.json field by field; typing each shape would restate the assertion.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      // Assertion messages show arrays as `${xs}` (comma-joined).
      "@typescript-eslint/restrict-template-expressions": ["error", { allowArray: true }],
      // String(treeItem.label): a TreeItemLabel would print as [object Object] and fail the match, as it should.
      "@typescript-eslint/no-base-to-string": ["error", { ignoredTypeNames: ["Error", "RegExp", "URL", "URLSearchParams", "TreeItemLabel"] }],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
);
