// Child processes for measurements: a server in a process of its own, so the load generator
// (or anything the measuring process does) never shares its event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/**
 * How `npm start` starts the server: its `NAME=${NAME:-default}` settings and the node flags
 * before `dist/main.js`, so the bench measures the server as it is started, from the one place
 * that says how.
 */
export function startScript(): { env: Record<string, string>; nodeFlags: string[] } {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const env: Record<string, string> = {};
  for (const [, name, fallback] of scripts.start.matchAll(/(\w+)=\$\{\1:-([^}]*)\}/g)) {
    env[name!] = process.env[name!] ?? fallback!;
  }
  const flags = /\bnode((?: --\S+)*) dist\/main\.js/.exec(scripts.start)?.[1] ?? '';
  return { env, nodeFlags: flags.split(' ').filter(Boolean) };
}

/** Starts `node args...` in the project folder; resolves with the port its log line names. */
export function startProcess(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((found, fail) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`no port from ${args.join(' ')}: ${output}`)),
      30000,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        // From here on the output is only drained (a full pipe would stall the server).
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        found({ child, port: Number(match[1]) });
      }
    });
    child.on('exit', (code) => fail(new Error(`${args.join(' ')} exited with ${code}: ${output}`)));
  });
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}
