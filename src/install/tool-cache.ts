/**
 * The runner's tool cache (RUNNER_TOOL_CACHE) through @actions/tool-cache: the real ToolCachePort the
 * installer uses. Kept apart so the installer and its tests never load the library.
 */
import * as tc from '@actions/tool-cache';
import type { ToolCachePort } from './claude-install.js';

export const actionsToolCache: ToolCachePort = {
  find: (tool, version, arch) => tc.find(tool, version, arch),
  cacheDir: (dir, tool, version, arch) => tc.cacheDir(dir, tool, version, arch),
};
