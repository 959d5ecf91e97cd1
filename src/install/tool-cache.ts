/**
 * The runner's tool cache (RUNNER_TOOL_CACHE) through @actions/tool-cache: the real ToolCachePort the
 * installer uses. Kept apart so the installer and its tests never load the library; the library itself
 * is imported on first use, not when the main step starts — a run given `claude-path` never needs it,
 * and loading it (with its HTTP client and semver) is a tenth of a second of every start (issue 12).
 */
import type { ToolCachePort } from './claude-install.js';

let library: Promise<typeof import('@actions/tool-cache')> | undefined;
const tc = () => (library ??= import('@actions/tool-cache'));

export const actionsToolCache: ToolCachePort = {
  find: async (tool, version, arch) => (await tc()).find(tool, version, arch),
  cacheDir: async (dir, tool, version, arch) => (await tc()).cacheDir(dir, tool, version, arch),
};
