import { spawn, type ChildProcess } from 'node:child_process';

export interface RunningApp {
  url: string;
  child: ChildProcess;
}

/** Starts `node <entry>` and waits for its "listening on <url>" line. */
export function startNode(entry: string, cwd: string, env: Record<string, string>): Promise<RunningApp> {
  const child = spawn(process.execPath, [entry], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[^\s"]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1].replace(/\/$/, ''), child });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code}: ${output}`));
    });
  });
}
