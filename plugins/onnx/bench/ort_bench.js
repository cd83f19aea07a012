// Times ONNX Runtime (onnxruntime-node 1.30.0, CPU, one intra/inter-op
// thread, as ../../../../shared/onnx-real/ort_reference.js does) on the
// benchmark models. A yardstick only; arthost never depends on ORT.
//
// Usage: node ort_bench.js RUNS name=path.onnx:d1,d2,... ...
// Prints "ort <name> <batch> <median wall ns> <mean process CPU ns>" per
// model and batch.
// onnxruntime-node is found via $ORT_NODE_PATH, the module path or ./node_modules.
const path = require('path');

function loadOrt() {
  const tries = [process.env.ORT_NODE_PATH, 'onnxruntime-node', path.join(process.cwd(), 'node_modules', 'onnxruntime-node')];
  for (const t of tries) {
    if (!t) continue;
    try { return require(t); } catch (e) { /* try next */ }
  }
  return null;
}

async function main() {
  const ort = loadOrt();
  if (!ort) {
    console.error('ort_bench: onnxruntime-node not found; skipping the ORT side');
    return;
  }
  const runs = parseInt(process.argv[2], 10) || 50;
  const opts = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
  for (const spec of process.argv.slice(3)) {
    const [name, rest] = spec.split('=');
    const [file, dims] = rest.split(':');
    const inner = dims.split(',').map(Number);
    const session = await ort.InferenceSession.create(file, opts);
    const input = session.inputNames[0];
    for (const batch of (name === 'resnet18' ? [1, 16] : [1, 64, 256])) {
      const shape = [batch, ...inner];
      const size = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(size);
      for (let i = 0; i < size; i++) data[i] = Math.random();
      const feeds = { [input]: new ort.Tensor('float32', data, shape) };
      const n = name === 'resnet18' ? Math.max(3, Math.floor(runs / 10)) : runs;
      for (let i = 0; i < Math.max(2, Math.floor(n / 5)); i++) await session.run(feeds);
      const times = [];
      const c0 = process.cpuUsage();
      for (let i = 0; i < n; i++) {
        const t0 = process.hrtime.bigint();
        await session.run(feeds);
        times.push(Number(process.hrtime.bigint() - t0));
      }
      const cu = process.cpuUsage(c0);
      const cpu = ((cu.user + cu.system) * 1000) / n;
      times.sort((a, b) => a - b);
      console.log(`ort ${name} ${batch} ${times[Math.floor(times.length / 2)]} ${Math.round(cpu)}`);
    }
  }
}

main().catch((e) => { console.error('ort_bench:', e.message); process.exit(1); });
