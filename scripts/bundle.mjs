// Bundles the entry points with @vercel/ncc into dist/ (committed; the runner executes it as is):
// dist/main (the main step), dist/post (the post step), dist/proxy (the key proxy process), dist/hook (the Bash hook). Type checking is
// `npm run build` (tsc over src and tests); ncc checks src only (src/tsconfig.json).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const entries = { main: 'src/main.ts', post: 'src/post.ts', proxy: 'src/proxy.ts', hook: 'src/hook.ts' };
for (const [name, entry] of Object.entries(entries)) {
  rmSync(`dist/${name}`, { recursive: true, force: true });
  execFileSync('npx', ['ncc', 'build', entry, '-o', `dist/${name}`, '--license', 'licenses.txt', '--quiet'], {
    stdio: 'inherit',
  });
}
