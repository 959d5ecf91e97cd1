// Preloaded with `node --import`: at the action's first read of an input (INPUT_*) or of the main step's
// state (STATE_*) it prints how long the process has existed and the CPU it has used, then exits. Up to
// that read everything is loading: Node's start, parsing and compiling the bundle, module initialisation.
const env = process.env;
process.env = new Proxy(env, {
  get(target, key) {
    if (typeof key === 'string' && /^(INPUT|STATE)_/.test(key)) {
      const cpu = process.cpuUsage();
      process.stderr.write(`LOAD ${performance.now()} ${(cpu.user + cpu.system) / 1000}\n`);
      process.exit(0);
    }
    return Reflect.get(target, key);
  },
});
