/**
 * The Claude Code release this action is tested with, and the sha512 integrity of every one of its npm
 * tarballs (the wrapper package and each platform package). For a pinned version these values, not the
 * registry's metadata, decide whether a download is genuine: a registry, mirror or network path that
 * serves other bytes is refused (threat model: X4, the binary every later stage trusts).
 * Values read once with `npm view @anthropic-ai/<package>@2.1.332 dist.integrity` (the wrapper's also
 * recomputed from a tarball fetched with `npm pack`). Update them together with PINNED_CLAUDE_VERSION.
 */

/** Package name → SRI integrity (`sha512-<base64>`) of its tarball. */
export type PackageIntegrity = Readonly<Record<string, string>>;
/** Version → the integrity of each of its packages. */
export type PinTable = Readonly<Record<string, PackageIntegrity>>;

export const PINNED_CLAUDE_VERSION = '2.1.332';

export const PINNED_INTEGRITY: PackageIntegrity = {
  '@anthropic-ai/claude-code':
    'sha512-tvSh6bLvEbd97APD31AnojOrRC3AmcRj5R8sF8QIQitu3x2ucOb1kKmTkGDw41kjva+CGJfpkt+wYouk6yv56Q==',
  '@anthropic-ai/claude-code-linux-x64':
    'sha512-f4JWhzwYutJIHScC7/dYOPX6s28tt7ZADhsOi8zwOHq5fFPEuUeChh2NMfinSg0GrUckYxaeebC4h0DqiKzLcw==',
  '@anthropic-ai/claude-code-linux-arm64':
    'sha512-BlHNEtK38KBPWU31F4lUSS9sHclCyfWbThT1CErvxxH8+XcljYLZlQwdyXBkTD62rw1TgfE1u1a+quMWS0NSJg==',
  '@anthropic-ai/claude-code-linux-x64-musl':
    'sha512-QoQzwipnqRAdBKDAJNJ2Qvl37G6x8nCugfOQa+nuMcGIRgGEOLeWoq3pTLMQRScL37estAQBGH9ygR3WFVbIfw==',
  '@anthropic-ai/claude-code-linux-arm64-musl':
    'sha512-jdjkkJLfAQ9M1HbT05tZHQpGNZUEPUebYwW/xpiMypZddB0lNlHlB9mXfOVV/UUPO0JCghj1NSQjxhhJc4L4CA==',
  '@anthropic-ai/claude-code-darwin-arm64':
    'sha512-L/F5mypyB7SK59cesiAqGv1bVNd+8xTn0LF5kV6EGL6UMhofVJMFlokhDRoxNzANNC5i/5JdzfJyDOKUbZObiA==',
  '@anthropic-ai/claude-code-darwin-x64':
    'sha512-i0GV2ejBOeHMXs+XPCd1IaJj1GV3VdZl8hiQD6hLMR/N7f4Nt8q4Edj1GYJCKXPLJa/zsE9Uv6r9rZ/ldVFQPQ==',
  '@anthropic-ai/claude-code-win32-x64':
    'sha512-BqPm3Fqw8LqRooC8QZUVAfaepl+jNb7JV1yp1atCyoU6kpm1CZ7z/6+IUHsrD8ljq/K2yb13obMw0mo3BA5dzw==',
  '@anthropic-ai/claude-code-win32-arm64':
    'sha512-rd2vER0bvylh1FHmXH/xC0SjoSF6RCsP+ezmDPR6qJLn+Mm4qfmBNC2JYfAH6KmrYq6u0O8m8YL/R95yAMgNvA==',
};

/** Every version whose tarballs are pinned. */
export const PINS: PinTable = { [PINNED_CLAUDE_VERSION]: PINNED_INTEGRITY };
