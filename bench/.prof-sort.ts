const m = 5000; const keys = new Float64Array(m); for (let i = 0; i < m; i++) keys[i] = Math.floor(Math.random() * 300) / 7;
const set = Array.from({ length: m }, (_, i) => i);
function cpu(f: () => void, n = 200) { const t = process.cpuUsage(); for (let i = 0; i < n; i++) f(); const d = process.cpuUsage(t); return ((d.user + d.system) / 1000 / n).toFixed(3) + ' ms'; }
const values = new Float64Array(m); for (let i = 0; i < m; i++) values[i] = keys[i]!;
console.log('native sort', cpu(() => values.slice().sort()));
console.log('cmp sort', cpu(() => [...set].sort((x, y) => keys[x]! - keys[y]!)));
