/**
 * A stateful, in-memory SystemPort for unit tests of the isolation modules: users and groups, a
 * file tree with modes and ACL entries, iptables/ip6tables chains, and a log of every command. It
 * models only what those modules use, and answers unknown commands with exit 127 so a test notices.
 * Failures can be injected per command line.
 */
import type { FileStat, RunOptions, RunResult, SystemPort } from '../../src/isolation/system.js';

interface FakeUser {
  uid: number;
  gid: number;
  groups: string[];
  sudo: boolean;
}

interface FakeFile extends FileStat {
  /** Named ACL entries, e.g. 'u:claude-guard-agent:x'. */
  acl: string[];
}

interface Firewall {
  chains: Map<string, string[][]>;
}

export class FakeSystem implements SystemPort {
  readonly platform: NodeJS.Platform = 'linux';
  readonly users = new Map<string, FakeUser>();
  readonly files = new Map<string, FakeFile>();
  readonly firewall: Record<'iptables' | 'ip6tables', Firewall> = {
    iptables: { chains: new Map([['OUTPUT', []]]) },
    ip6tables: { chains: new Map([['OUTPUT', []]]) },
  };
  /** Every command line run, as run (with any sudo prefix), e.g. 'iptables -w -N CLAUDE_GUARD'. */
  readonly log: string[] = [];
  readonly killed: string[] = [];
  readonly deletedUsers: string[] = [];
  /** Command lines without the sudo prefix (prefix match) that fail with exit 1. */
  readonly failing: string[] = [];
  private nextUid = 990;
  private tmpCounter = 0;

  constructor(
    readonly uid = 0,
    readonly gid = 0,
  ) {}

  addFile(path: string, stat: Partial<FakeFile> = {}): void {
    this.files.set(path, { mode: 0o755, uid: 1001, gid: 1001, isDirectory: true, acl: [], ...stat });
  }

  async run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    this.log.push([command, ...args].join(' '));
    const viaSudo = command === 'sudo' && args[0] === '-n' && args[1] !== '-l';
    const [inner, innerArgs] = viaSudo ? [args[1], args.slice(2)] : [command, args];
    const line = [inner, ...innerArgs].join(' ');
    if (this.failing.some((prefix) => line.startsWith(prefix)))
      return { exitCode: 1, stdout: '', stderr: 'injected failure' };
    return this.dispatch(inner, innerArgs, options);
  }

  async stat(path: string): Promise<FileStat | undefined> {
    const file = this.files.get(path);
    return file && { mode: file.mode, uid: file.uid, gid: file.gid, isDirectory: file.isDirectory };
  }

  async mkdtemp(prefix: string): Promise<string> {
    const path = `${prefix}${String(++this.tmpCounter).padStart(6, '0')}`;
    this.addFile(path, { mode: 0o700, uid: this.uid, gid: this.gid });
    return path;
  }

  async mkdir(path: string, mode: number): Promise<void> {
    this.addFile(path, { mode, uid: this.uid, gid: this.gid });
  }

  async writeFile(path: string, _contents: string, mode: number): Promise<void> {
    if (this.files.has(path)) throw new Error(`EEXIST: ${path}`);
    this.addFile(path, { mode, uid: this.uid, gid: this.gid, isDirectory: false });
  }

  async readdir(path: string): Promise<string[]> {
    return [...this.files.keys()]
      .filter((p) => p.startsWith(`${path}/`) && !p.slice(path.length + 1).includes('/'))
      .map((p) => p.slice(path.length + 1));
  }

  /** Symbolic links: path → target. */
  readonly links = new Map<string, string>();

  async readlink(path: string): Promise<string | undefined> {
    return this.links.get(path);
  }

  /** Files under (and including) `root`. */
  private tree(root: string): [string, FakeFile][] {
    return [...this.files.entries()].filter(([p]) => p === root || p.startsWith(`${root}/`));
  }

  private dispatch(command: string, args: string[], options: RunOptions): RunResult {
    const ok = (stdout = ''): RunResult => ({ exitCode: 0, stdout, stderr: '' });
    const fail = (stderr = 'failed'): RunResult => ({ exitCode: 1, stdout: '', stderr });
    switch (command) {
      case 'id': {
        const user = this.users.get(args[1]);
        if (!user) return fail(`id: '${args[1]}': no such user`);
        return ok(`${args[0] === '-u' ? user.uid : args[0] === '-g' ? user.gid : user.groups.join(' ')}\n`);
      }
      case 'useradd': {
        const name = args[args.length - 1];
        const uid = this.nextUid--;
        this.users.set(name, { uid, gid: uid, groups: [name], sudo: false });
        return ok();
      }
      case 'gpasswd': {
        const user = this.users.get(args[1]);
        if (user) user.groups = user.groups.filter((g) => g !== args[2]);
        return ok();
      }
      case 'sudo': {
        const user = this.users.get(args[args.length - 1]);
        if (!user) return fail('sudo: unknown user');
        return ok(
          user.sudo
            ? `User ${args[3]} may run the following commands on fake:\n    (ALL) ALL\n`
            : `User ${args[3]} is not allowed to run sudo on fake.\n`,
        );
      }
      case 'pkill':
        this.killed.push(args[args.length - 1]);
        return { exitCode: 1, stdout: '', stderr: '' };
      case 'chown':
        for (const path of args.slice(2)) {
          const [uid, gid] = args[1].split(':').map(Number);
          for (const [, file] of this.tree(path)) Object.assign(file, { uid, gid });
        }
        return ok();
      case 'chmod': {
        const file = this.files.get(args[1]);
        if (!file) return fail('chmod: no such file');
        file.mode = parseInt(args[0], 8);
        return ok();
      }
      case 'rm':
        for (const [path] of this.tree(args[args.length - 1])) this.files.delete(path);
        return ok();
      case 'test':
        return this.files.has(args[1]) ? ok() : fail();
      case 'find':
        // grantWorkspace asks for the first entry others cannot read; chownBack hands files back.
        if (args.includes('-print')) {
          const hidden = this.tree(args[0]).find(
            ([, f]) => (f.mode & 0o004) === 0 || (f.isDirectory && (f.mode & 0o001) === 0),
          );
          return ok(hidden ? `${hidden[0]}\n` : '');
        }
        if (args.includes('-exec')) return this.findExecSetfacl(args);
        return ok();
      case 'getfacl':
        return this.getfacl(args);
      case 'setfacl':
        return this.setfacl(args, options.input ?? '');
      case 'iptables-restore':
      case 'ip6tables-restore':
        return this.restore(command === 'iptables-restore' ? 'iptables' : 'ip6tables', options);
      case 'userdel': {
        const name = args[args.length - 1];
        if (!this.users.delete(name))
          return { exitCode: 6, stdout: '', stderr: `userdel: user '${name}' does not exist` };
        this.deletedUsers.push(name);
        return ok();
      }
      case 'iptables':
      case 'ip6tables':
        return this.iptables(
          this.firewall[command],
          args.filter((a) => a !== '-w'),
        );
      default:
        return { exitCode: 127, stdout: '', stderr: `fake: unknown command ${command}` };
    }
  }

  /** grantWorkspace's two shapes: directories others cannot enter; group-readable private files not named like secrets. */
  private findExecSetfacl(args: string[]): RunResult {
    const entry = args[args.indexOf('-exec') + 3];
    const dirs = args.includes('d');
    const names = args.filter((_, i) => args[i - 1] === '-name');
    const glob = (pattern: string, name: string) =>
      new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(name);
    for (const [p, f] of this.tree(args[0])) {
      const hit = dirs
        ? f.isDirectory && (!args.includes('-o=rx') || (f.mode & 0o005) !== 0o005)
        : !f.isDirectory &&
          (f.mode & 0o040) !== 0 &&
          (!args.includes('-o=r') || (f.mode & 0o004) === 0) &&
          !names.some((n) => glob(n, p.split('/').pop() ?? ''));
      if (hit)
        f.acl = [...f.acl.filter((e) => !e.startsWith(entry.split(':').slice(0, 2).join(':') + ':')), entry];
    }
    return { exitCode: 0, stdout: '', stderr: '' };
  }

  private getfacl(args: string[]): RunResult {
    const target = args[args.length - 1];
    const entries = args.includes('-R') ? this.tree(target) : [[target, this.files.get(target)] as const];
    const text = entries
      .filter(([, f]) => f !== undefined && f.acl.length > 0)
      .map(([p, f]) => `# file: ${p}\n${(f as FakeFile).acl.join('\n')}\n`)
      .join('\n');
    return { exitCode: 0, stdout: text, stderr: '' };
  }

  private setfacl(args: string[], input: string): RunResult {
    if (args[0] === '--restore=-') {
      for (const block of input.split(/\n\n+/).filter((b) => b.trim() !== '')) {
        const [head, ...acl] = block.trim().split('\n');
        const file = this.files.get(head.replace('# file: ', ''));
        if (file) file.acl = acl;
      }
      return { exitCode: 0, stdout: '', stderr: '' };
    }
    const recursive = args.includes('-R');
    const target = args[args.length - 1];
    const files = recursive ? this.tree(target).map(([, f]) => f) : [this.files.get(target)];
    if (files.some((f) => f === undefined))
      return { exitCode: 1, stdout: '', stderr: 'setfacl: no such file' };
    for (const file of files as FakeFile[]) {
      if (args.includes('-b')) file.acl = [];
      const entry = args[args.indexOf('-m') + 1];
      if (args.includes('-m')) {
        const key = entry.split(':').slice(0, 2).join(':');
        file.acl = [...file.acl.filter((e) => !e.startsWith(`${key}:`)), entry];
      }
    }
    return { exitCode: 0, stdout: '', stderr: '' };
  }

  /** `iptables-restore --noflush`: every line applied to a copy, committed only when all succeed. */
  private restore(tool: 'iptables' | 'ip6tables', options: RunOptions): RunResult {
    const fw = this.firewall[tool];
    const copy: Firewall = { chains: new Map([...fw.chains].map(([k, v]) => [k, v.map((r) => [...r])])) };
    for (const line of (options.input ?? '').split('\n')) {
      if (line === '' || line === '*filter' || line === 'COMMIT') continue;
      if (line.startsWith(':')) {
        const name = line.slice(1).split(' ')[0];
        copy.chains.set(name, []);
        continue;
      }
      // A rule the machine refuses (e.g. no owner match): `failing` names it as an iptables command line.
      if (this.failing.some((prefix) => `${tool} -w ${line}`.startsWith(prefix)))
        return { exitCode: 2, stdout: '', stderr: `restore failed at: ${line}` };
      const result = this.iptables(copy, line.split(' '));
      if (result.exitCode !== 0) return { exitCode: 2, stdout: '', stderr: `restore failed at: ${line}` };
    }
    fw.chains = copy.chains;
    return { exitCode: 0, stdout: '', stderr: '' };
  }

  private iptables(fw: Firewall, args: string[]): RunResult {
    const [op, chain, ...rest] = args;
    const ok: RunResult = { exitCode: 0, stdout: '', stderr: '' };
    const fail: RunResult = { exitCode: 1, stdout: '', stderr: 'iptables: failed' };
    const rules = fw.chains.get(chain);
    const same = (a: string[], b: string[]): boolean => a.join(' ') === b.join(' ');
    switch (op) {
      case '-N':
        if (rules) return fail;
        fw.chains.set(chain, []);
        return ok;
      case '-X':
        if (
          !rules ||
          rules.length > 0 ||
          [...fw.chains.values()].some((rs) => rs.some((r) => r[r.length - 1] === chain))
        )
          return fail;
        fw.chains.delete(chain);
        return ok;
      case '-F':
        if (!rules) return fail;
        rules.length = 0;
        return ok;
      case '-S':
        return rules ? { ...ok, stdout: rules.map((r) => `-A ${chain} ${r.join(' ')}`).join('\n') } : fail;
      case '-A':
        if (!rules) return fail;
        rules.push(rest);
        return ok;
      case '-I':
        if (!rules) return fail;
        rules.splice(Number(rest[0]) - 1, 0, rest.slice(1));
        return ok;
      case '-C':
        return rules?.some((r) => same(r, rest)) ? ok : fail;
      case '-D': {
        const index = rules?.findIndex((r) => same(r, rest)) ?? -1;
        if (!rules || index < 0) return fail;
        rules.splice(index, 1);
        return ok;
      }
      default:
        return fail;
    }
  }
}
