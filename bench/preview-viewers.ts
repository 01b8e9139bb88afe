/**
 * `node dist/bench/preview-viewers.js PORT N CAMERA`: N preview viewers
 * in a process of their own (so their work is not charged to the agent's
 * main thread), each watching CAMERA; prints the frames each received as
 * JSON when it gets SIGTERM.
 */
import WebSocket from 'ws';

const [port, count, camera] = [process.argv[2], Number(process.argv[3] ?? 1), process.argv[4] ?? 'bench'];
const received = Array.from({ length: count }, () => 0);
const sockets = received.map((_, i) => {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  ws.on('open', () => ws.send(JSON.stringify({ type: 'watch', cameras: [camera] })));
  ws.on('message', (_data, isBinary) => {
    if (isBinary) received[i]! += 1;
  });
  ws.on('error', () => undefined);
  return ws;
});
process.on('SIGTERM', () => {
  for (const ws of sockets) ws.terminate();
  process.stdout.write(`${JSON.stringify(received)}\n`);
  process.exit(0);
});
