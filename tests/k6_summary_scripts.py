"""k6 scripts for the summary tests: every metric type, sub-metric thresholds, WebSockets, k6's exit codes."""

from __future__ import annotations

SHOP = """
import http from 'k6/http';
import { check, group, sleep } from 'k6';
import { Trend, Counter, Rate, Gauge } from 'k6/metrics';
const payTime = new Trend('pay_time', true);
const orders = new Counter('orders');
const paidOk = new Rate('paid_ok');
const cart = new Gauge('cart_size');
export const options = {
  scenarios: {
    browse: { executor: 'constant-vus', vus: 2, duration: '4s', exec: 'browse', tags: { flow: 'window' } },
    buy: { executor: 'constant-arrival-rate', rate: 40, timeUnit: '1s', duration: '4s',
           preAllocatedVUs: 1, maxVUs: 1, exec: 'buy' },
  },
  thresholds: {
    'http_req_duration{scenario:buy}': ['p(95)<5000'],
    'checks{check:paid}': ['rate>0.9'],
    'checks{check:sometimes}': ['rate>0.9'],
    'http_req_duration{group:::shop::pay}': ['p(99)<5000', 'max<0'],
    'http_reqs{flow:window}': ['count>10'],
    'http_req_duration{name:item}': ['p(90)<5000'],
    'pay_time': ['p(99)<5000', 'avg<0'],
    'orders': ['count>5'],
    'orders{kind:big}': ['count>0'],
    'paid_ok': ['rate>0.5'],
    'cart_size': ['value<100'],
    'http_reqs': ['rate>1', 'count<1'],
    'dropped_iterations': ['count<1'],
  },
};
export function browse() {
  group('catalog', () => {
    const r = http.get(__ENV.BASE + '/items/' + (__ITER % 20), { tags: { name: 'item' } });
    check(r, { 'status 200': (x) => x.status === 200, 'sometimes': () => __ITER % 3 !== 0 });
    group('detail', () => {
      http.get(__ENV.BASE + '/missing');
      cart.add(__ITER % 7);
    });
  });
  sleep(0.02);
}
export function buy() {
  group('shop', () => {
    group('pay', () => {
      const r = http.post(__ENV.BASE + '/pay', 'x');
      check(r, { 'paid': (x) => x.status === 200 });
      payTime.add(r.timings.duration + 1);
      orders.add(1, { kind: __ITER % 4 === 0 ? 'big' : 'small' });
      paidOk.add(r.status === 200);
    });
  });
  sleep(0.1);
}
"""
"""Two scenarios (the arrival-rate one can do 10 iterations/s of the 40 asked: it drops), nested groups, named
checks (one fails a third of the time), custom metrics of the four types, thresholds on custom metrics and on
tag-selected sub-metrics (scenario, check, group, a scenario's own tag, name), some passing, some not."""

WEBSOCKET = """
import ws from 'k6/ws';
import { check } from 'k6';
export const options = { vus: 2, iterations: 6, thresholds: { ws_msgs_received: ['count>5'] } };
export default function () {
  const res = ws.connect(__ENV.WS_URL, {}, (socket) => {
    let n = 0;
    socket.on('open', () => { socket.send('hello 0'); });
    socket.on('message', (m) => {
      n += 1;
      if (n < 5) { socket.send('hello ' + n); } else { socket.close(); }
    });
    socket.setTimeout(() => socket.close(), 3000);
  });
  check(res, { 'switched': (r) => r && r.status === 101 });
}
"""
"""Six WebSocket sessions of five echoed messages each."""

ABORT = """
import http from 'k6/http';
import exec from 'k6/execution';
export const options = { vus: 1, duration: '10s' };
export default function () {
  http.get(__ENV.BASE + '/');
  if (__ITER === 3) { exec.test.abort('enough'); }
}
"""

FAILING_THRESHOLD = """
import http from 'k6/http';
export const options = { vus: 1, iterations: 5, thresholds: { http_req_duration: ['max<0'] } };
export default function () { http.get(__ENV.BASE + '/'); }
"""

SYNTAX_ERROR = """
export default function () { const x = ; }
"""

INVALID_OPTIONS = """
export const options = { thresholds: { no_such_metric: ['count>1'] } };
export default function () {}
"""

HANDLE_SUMMARY = """
import http from 'k6/http';
import { check } from 'k6';
export const options = { vus: 1, iterations: 4 };
export default function () {
  const r = http.get(__ENV.BASE + '/');
  check(r, { 'home is 200': (x) => x.status === 200 });
}
export function handleSummary(data) {
  const n = data.metrics.http_reqs.values.count;
  return { stdout: 'HANDLE-SUMMARY-START requests=' + n + '\\nsecond line token=' + __ENV.API_TOKEN + '\\nHANDLE-SUMMARY-END\\n' };
}
"""
"""handleSummary replaces k6's text summary with its own stdout (which prints a secret passed in -e)."""
