"""Small k6 scripts the integration tests write next to their run folders."""

from __future__ import annotations

from pathlib import Path

MIXED = """
import http from 'k6/http';
import { check, group } from 'k6';
export default function () {
  group('pages', function () {
    const r = http.get(__ENV.BASE + '/items/' + (__ITER % 40), { tags: { name: 'item' } });
    check(r, { 'is 200': (x) => x.status === 200 });
  });
  if (__ITER % 7 === 0) { http.get(__ENV.BASE + '/missing'); }
}
"""

STEADY = """
import http from 'k6/http';
import { sleep } from 'k6';
export default function () { http.get(__ENV.BASE + '/'); sleep(0.05); }
"""

TEARDOWN_MARK = """
import http from 'k6/http';
import { sleep } from 'k6';
export function teardown() { console.log('teardown ran'); }
export default function () { http.get(__ENV.BASE + '/'); sleep(0.05); }
"""

CODES = """
import http from 'k6/http';
import { check, sleep } from 'k6';
export const options = {
  thresholds: { http_req_duration: ['p(95)<10000'], checks: ['rate>0.5'] },
};
export default function () {
  const r = http.get(__ENV.BASE + '/items/' + (__ITER % 40), { tags: { name: 'item' } });
  check(r, { 'is 200': (x) => x.status === 200 });
  if (__ITER % 5 === 0) { http.get(__ENV.BASE + '/missing'); }
  if (__ITER % 50 === 0) { http.get('http://127.0.0.1:1/refused'); }
  sleep(0.01);
}
"""
"""200 for items, 404 for /missing, no response (status 0, a k6 error code) for a refused port; thresholds."""


def write(folder: Path, name: str, body: str) -> Path:
    """Write a script and return its path."""
    path = folder / name
    path.write_text(body)
    return path
