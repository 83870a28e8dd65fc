import { startTestDaemon } from '/work/main/engine/api/testing.js';
const d = await startTestDaemon('x');
try {
  const id = d.dockerOk(['run', '-d', 'busybox', 'sleep', '100']).trim();
  const pid = JSON.parse(d.dockerOk(['inspect', id]))[0].State.Pid;
  const fs = await import('node:fs');
  console.log(fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').slice(0, 3).join('\n'));
  console.log(fs.readlinkSync(`/proc/${pid}/ns/user`), fs.readlinkSync('/proc/self/ns/user'));
  try { console.log(fs.readlinkSync('/proc/1/ns/user')); } catch (e) { console.log('proc1', String(e)); }
  console.log(JSON.stringify(JSON.parse(d.dockerOk(['inspect', id]))[0].GraphDriver));
} finally { await d.cleanup(); }
