// `npm start`: build if needed, then run the server with a deliberately sized libuv pool.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = path.join(root, 'dist/main.js');

function newestMtime(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const stat = statSync(full);
    newest = Math.max(newest, stat.isDirectory() ? newestMtime(full) : stat.mtimeMs);
  }
  return newest;
}

const sources = ['src', 'prisma', 'client/src', 'web', 'packages/verifier/src'].map((dir) => path.join(root, dir));
const stale = !existsSync(entry) || sources.some((dir) => newestMtime(dir) > statSync(entry).mtimeMs);
if (stale) {
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const child = spawn(process.execPath, [entry], {
  cwd: root,
  stdio: 'inherit',
  env: { UV_THREADPOOL_SIZE: '8', ...process.env },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
