// loadwatch demo: ramp the bundled demo target past its DB pool within a minute.
//
// The target (python -m runners.demo_target) has a 20-connection pool and a 250 ms pool timeout, and its
// latency grows with the requests in flight. Measured on the 2-core dev box: p95 climbs from ~70 ms (10 VUs)
// to ~170 ms (60 VUs); near 70 VUs (~22 s in) the pool is 20/20 with a queue, 503s "db pool exhausted"
// begin, throughput falls from ~430 to ~210 req/s and p95 passes 500 ms. The thresholds below are crossed on
// purpose (k6 exits 99): the demo shows a real breach. Sleeps are not scaled, so the load per VU is the same
// at every DEMO_SPEED.
//
// Environment:
//   TARGET      base URL of the target (default http://127.0.0.1:8000)
//   DEMO_SPEED  factor applied to every stage duration (default 1; 0.25 gives a ~14 s run for tests)
import http from 'k6/http';
import { check, group, sleep } from 'k6';

const BASE = (__ENV.TARGET || 'http://127.0.0.1:8000').replace(/\/+$/, '');
const SPEED = Number(__ENV.DEMO_SPEED || '1');
if (!Number.isFinite(SPEED) || SPEED <= 0) {
  throw new Error(`DEMO_SPEED must be a positive number, got "${__ENV.DEMO_SPEED}"`);
}

function dur(seconds) {
  return `${Math.max(100, Math.round(seconds * SPEED * 1000))}ms`;
}

export const options = {
  stages: [
    { duration: dur(5), target: 10 }, // warm up: fast, cached
    { duration: dur(10), target: 40 }, // latency starts to climb
    { duration: dur(10), target: 80 }, // the pool saturates
    { duration: dur(20), target: 80 }, // hold: 503s, p95 past the threshold
    { duration: dur(10), target: 0 }, // recover
  ],
  thresholds: {
    http_req_duration: ['p(95)<500'],
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
    'http_req_duration{name:GET /api/search}': ['p(95)<800'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
};

const SEARCH_TERMS = ['shoe', 'lamp', 'desk', 'chair', 'mug', 'cable', 'bag', 'pen'];
const JSON_HEADERS = { 'Content-Type': 'application/json' };

function get(path, name) {
  const res = http.get(`${BASE}${path}`, { tags: { name } });
  check(res, { [`${name}: status 200`]: (r) => r.status === 200 });
  return res;
}

export default function () {
  group('browse', () => {
    get('/api/products', 'GET /api/products');
    sleep(0.05);
    get(`/api/products/${1 + Math.floor(Math.random() * 1000)}`, 'GET /api/products/{id}');
  });

  if (Math.random() < 0.5) {
    group('search', () => {
      const q = SEARCH_TERMS[Math.floor(Math.random() * SEARCH_TERMS.length)];
      get(`/api/search?q=${q}`, 'GET /api/search');
    });
  }

  if (Math.random() < 0.2) {
    group('checkout', () => {
      const body = JSON.stringify({ items: [{ id: 1 + Math.floor(Math.random() * 1000), qty: 1 }] });
      const res = http.post(`${BASE}/api/orders`, body, {
        headers: JSON_HEADERS,
        tags: { name: 'POST /api/orders' },
      });
      check(res, { 'POST /api/orders: status 200': (r) => r.status === 200 });
    });
  }

  sleep(0.1 + Math.random() * 0.2);
}
