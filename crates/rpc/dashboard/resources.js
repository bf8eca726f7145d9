// The resource panel (issue 11): how full the latest blocks were against the real and the
// virtual (elastic) limits, the accounts that used the most over the node's last minute of
// blocks, and the RAM market. Data: GET /v1/civitas/resources (docs/api.md).

import { h, text, int, pct, compact } from './util.js';
import { meter } from './charts.js';

/** Renders the panel; `accountLink(name)` makes an account name clickable. */
export function renderResources(v, accountLink) {
  const cpuAvg = v.average_block_cpu_usage / v.block_cpu_limit;
  const netAvg = v.average_block_net_usage / v.block_net_limit;
  text('res-cpu', `${int(v.average_block_cpu_usage)} µs of ${int(v.block_cpu_limit)} (${pct(cpuAvg)})`);
  text('res-net', `${compact(v.average_block_net_usage)} B of ${compact(v.block_net_limit)} (${pct(netAvg)})`);
  text('res-vcpu', `${(v.virtual_block_cpu_limit / v.block_cpu_limit).toFixed(1)}× the real limit`);
  text('res-vnet', `${(v.virtual_block_net_limit / v.block_net_limit).toFixed(1)}× the real limit`);
  // The target (10% of the real limit): above it the virtual limit shrinks toward the real one.
  meter(document.getElementById('res-cpu-meter'), cpuAvg, { threshold: 0.1 });
  meter(document.getElementById('res-net-meter'), netAvg, { threshold: 0.1 });
  const ram = v.ram;
  text('res-ram', `${compact(ram.total_ram_bytes_reserved)} B of ${compact(ram.max_ram_size)} held`);
  text('res-ram-price', ram.price_per_kib ?? '—');
  meter(document.getElementById('res-ram-meter'), ram.total_ram_bytes_reserved / ram.max_ram_size);

  // The latest blocks, oldest on the left, scaled to the busiest one shown (whose share of the
  // real block limit the heading gives).
  const blocks = [...v.blocks].reverse();
  const busiest = Math.max(1, ...blocks.map((b) => b.cpu_us));
  text('res-busiest', `busiest: ${int(busiest)} µs, ${pct(busiest / v.block_cpu_limit, 2)} of the block limit`);
  document.getElementById('res-blocks').replaceChildren(
    ...blocks.map((b) => h('span', {
      class: 'res-bar',
      title: `block ${int(b.block_num)}: ${int(b.cpu_us)} µs CPU, ${int(b.net_bytes)} B NET`,
      style: { height: `${Math.max(4, (b.cpu_us / busiest) * 100)}%` },
    })),
  );
  const tbody = document.querySelector('#res-users tbody');
  if (!v.top_users.length) {
    tbody.replaceChildren(h('tr', {}, h('td', { colspan: '4', class: 'empty' }, `Nothing billed in the last ${int(v.window_blocks)} blocks.`)));
    return;
  }
  const total = v.blocks.reduce((n, b) => n + b.cpu_us, 0) || 1;
  tbody.replaceChildren(
    ...v.top_users.map((u) =>
      h('tr', {}, [
        h('td', {}, accountLink(u.account)),
        h('td', { class: 'num' }, `${int(u.cpu_us)} µs`),
        h('td', { class: 'num' }, `${compact(u.net_bytes)} B`),
        h('td', { class: 'num' }, u.ram_quota < 0 ? `${compact(u.ram_usage)} B` : `${compact(u.ram_usage)} / ${compact(u.ram_quota)} B`),
      ]),
    ),
  );
  text('res-window', `over the last ${int(v.window_blocks)} blocks (${pct(v.top_users[0].cpu_us / total)} of the CPU billed in the ${int(v.blocks.length)} shown went to the top account)`);
}
