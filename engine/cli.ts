// The `wharf` command. `wharf daemon` takes dockerd's flag names.
//
// Arguments are parsed with commander: it is the most used, dependency-free
// parser for Node, handles repeatable options (-H several times), short and
// long spellings and generated --help, and tells us which flags were given
// explicitly (needed for dockerd's flag-vs-config-file conflict rule).
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_CONFIG_FILE,
  DEFAULT_HOST,
  mergeConfigFile,
  runDaemon,
  type DaemonOptions,
} from './daemon/index.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** dockerd's engine flags, shared by `wharf daemon` and `wharf serve`. */
function engineFlags(cmd: Command): Command {
  return cmd
    .option(
      '-H, --host <address>',
      `daemon socket to listen on (default ${DEFAULT_HOST}; repeatable)`,
      collect,
    )
    .option('--data-root <dir>', 'root of persistent state (default /var/lib/wharf)')
    .option('--exec-root <dir>', 'root of volatile state (default /run/wharf)')
    .option('--insecure-registry <registry>', 'registry reachable over plain HTTP (repeatable)', collect)
    .option('--registry-mirror <url>', 'preferred Docker Hub mirror (repeatable)', collect)
    .option('--config-file <file>', 'daemon configuration file (Docker daemon.json keys)')
    .addOption(
      new Option('-l, --log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error', 'fatal']),
    )
    .option('-D, --debug', 'enable debug logging')
    .option('-G, --group <group>', 'group owning the unix socket (mode 0660)')
    .option('-p, --pidfile <file>', 'write the daemon pid to this file');
}

/** The engine flags merged with the config file (dockerd's rules). */
function engineOptions(o: Record<string, unknown>, cmd: Command): DaemonOptions {
  const given = new Set(
    Object.keys(o)
      .filter((k) => cmd.getOptionValueSource(k) === 'cli')
      .map((k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)),
  );
  const flags: DaemonOptions = {
    hosts: (o.host as string[] | undefined) ?? [],
    dataRoot: o.dataRoot as string | undefined,
    execRoot: o.execRoot as string | undefined,
    insecureRegistries: (o.insecureRegistry as string[] | undefined) ?? [],
    registryMirrors: (o.registryMirror as string[] | undefined) ?? [],
    logLevel: (o.logLevel as DaemonOptions['logLevel'] | undefined) ?? (o.debug ? 'debug' : 'info'),
    group: o.group as string | undefined,
    pidfile: o.pidfile as string | undefined,
    // Other native binaries (packaging, tests against runc): as the runtime's tests do.
    runtimePath: process.env.WHARF_RUNTIME,
    shimPath: process.env.WHARF_SHIM,
  };
  const file = (o.configFile as string | undefined) ?? DEFAULT_CONFIG_FILE;
  const { options, warnings } = mergeConfigFile(flags, given, file, o.configFile !== undefined);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  if (options.hosts.length === 0) options.hosts = [DEFAULT_HOST];
  return options;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError('expected a TCP port (0-65535)');
  return n;
}

export function buildCli(): Command {
  const program = new Command('wharf').description('Wharf container engine').version('0.1.0');
  engineFlags(program.command('daemon').description('Run the engine and serve the Docker Engine API')).action(
    async (o: Record<string, unknown>, cmd: Command) => {
      await runDaemon(engineOptions(o, cmd));
      // Watches and sockets of the containers we let go may still be
      // referenced; the daemon is done, so leave now.
      process.exit(0);
    },
  );
  engineFlags(
    program
      .command('serve')
      .description('Run the engine (as `wharf daemon`) and serve the web UI on 127.0.0.1'),
  )
    .option('--port <port>', 'TCP port of the web UI on 127.0.0.1 (default: a free port)', parsePort)
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      // Loaded only here: `wharf daemon` never pays for the UI server.
      const { runServe } = await import('../app/web/serve.js');
      await runServe({ ...engineOptions(o, cmd), port: o.port as number | undefined });
      process.exit(0);
    });
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`wharf: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

await main();
