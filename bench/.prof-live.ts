import { liveLatency, liveCapacity, startStack } from './live-api';
const what = process.argv[2] ?? 'latency';
const stack = await startStack();
try {
  if (what === 'latency') {
    console.log('1', JSON.stringify(await liveLatency(stack, 1)));
    console.log('100', JSON.stringify(await liveLatency(stack, Number(process.argv[3] ?? 100))));
  } else {
    console.log('capacity', JSON.stringify(await liveCapacity(stack, Number(process.argv[3] ?? 50), Number(process.argv[4] ?? 20))));
  }
} finally { await stack.close(); }
process.exit(0);
