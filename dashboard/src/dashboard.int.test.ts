/**
 * The dashboard as a person sees it: the built `skein demo` (a CA, the control plane in local mode,
 * four real `skein proxy` sidecars in front of three apps, a load loop) and the page it prints,
 * opened in Chromium. The page must show the workloads, the SPIFFE identities, every proxy in sync,
 * an edge whose live rate follows a change of the VirtualService split made while it runs, and no
 * console error (a CSP violation would be one).
 *
 * Then the page fed hostile names (a compromised proxy's metric labels and node metadata): shown as
 * text, never run.
 *
 * `SKEIN_DASHBOARD_SCREENSHOT=docs/img/dashboard.png npx jest dashboard/src/dashboard.int.test.ts`
 * also writes the screenshot used in the docs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describeGated } from '../../e2e/support/system';
import { Dashboard, type MeshSource } from './server';
import { browserBlocker, openBrowser, type Browser } from './testing/browser';

const repo = path.resolve(__dirname, '../..');
const main = path.join(repo, 'dist/cli/src/main.js');

interface DemoProcess {
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(): Promise<number | null>;
}

function startDemo(args: string[]): DemoProcess {
  const child: ChildProcess = spawn(process.execPath, [main, 'demo', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    output: () => out,
    async waitFor(pattern, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (let i = 0; Date.now() < deadline && i < 100_000; i++) {
        const m = pattern.exec(out);
        if (m) return m;
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`demo output never matched ${pattern}:\n${out.slice(-3000)}`);
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** `12.3 rps · …` → 12.3 */
function rpsOf(text: string | null): number {
  const m = /^([\d.]+) rps/.exec(text ?? '');
  return m ? Number(m[1]) : NaN;
}

/** `describe` when Chromium is installed; otherwise a visible skip — or a failure where SKEIN_REQUIRE_SYSTEM_TESTS=1 (CI). */
function describeBrowser(name: string, body: () => void): void {
  describeGated(name, body, { blocker: browserBlocker(), requiredBy: 'SKEIN_REQUIRE_SYSTEM_TESTS', what: 'browser tests', skipLabel: 'skipped' });
}

const v2Edge = '[data-edge-label="http:default/frontend/v1->default/reviews/v2"]';

describeBrowser('the dashboard in Chromium, on a live local mesh (skein demo)', () => {
  jest.setTimeout(300_000);
  let demo: DemoProcess;
  let browser: Browser | undefined;
  let meshYaml: string;

  beforeAll(async () => {
    expect(fs.existsSync(main)).toBe(true);
    demo = startDemo(['--duration', '240s']);
    const url = (await demo.waitFor(/^dashboard: (http:\/\/127\.0\.0\.1:\d+\/)$/m))[1]!;
    meshYaml = (await demo.waitFor(/^config\s+(\S+mesh\.yaml)/m))[1]!;
    await demo.waitFor(/^ROUTE\s+VERSION/m);
    browser = await openBrowser();
    await browser.page.goto(url);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    const code = await demo?.stop();
    expect(code).toBe(0);
  });

  it('shows every workload version as a node, and callers from outside the mesh', async () => {
    const page = browser!.page;
    for (const id of ['default/frontend/v1', 'default/reviews/v1', 'default/reviews/v2', 'default/ratings/v1', 'unknown']) {
      await page.waitForSelector(`#graph [data-node="${id}"]`, { timeout: 60_000 });
    }
    expect(await page.locator('#graph .node.workload').count()).toBe(4);
    expect(await page.locator('#graph [data-node="default/reviews/v2"] .name').textContent()).toBe('reviewsv2');
  });

  it('shows the SPIFFE identities each workload presented in traffic', async () => {
    const page = browser!.page;
    await page.waitForFunction(() => document.querySelectorAll('#workloads .identities .seen').length >= 4, undefined, { timeout: 60_000 });
    const seen = await page.locator('#workloads .identities .seen').allTextContents();
    expect(new Set(seen)).toEqual(new Set(['frontend', 'reviews', 'ratings'].map((sa) => `spiffe://cluster.local/ns/default/sa/${sa}`)));
    const callers = await page.locator('#calls [data-edge="http:default/frontend/v1->default/reviews/v2"] .mono').allTextContents();
    expect(callers).toEqual(['spiffe://cluster.local/ns/default/sa/frontend']);
  });

  it('shows every proxy SYNCED on CDS, LDS, EDS and RDS, and scraped', async () => {
    const page = browser!.page;
    await page.waitForFunction(() => document.querySelectorAll('#proxies tbody tr').length === 4 && [...document.querySelectorAll('#proxies tbody tr')].every((tr) => tr.querySelectorAll('.pill.SYNCED').length === 5 && tr.querySelector('.pill.ok')), undefined, { timeout: 60_000 });
    expect(await page.locator('#status').textContent()).toContain('4/4 proxies scraped');
  });

  it('shows the 80/20 split in force and an mTLS edge whose live rate follows a change of the split', async () => {
    const page = browser!.page;
    await page.waitForFunction((sel: string) => /^[1-9][\d.]* rps|^0\.[1-9]\d* rps/.test(document.querySelector(`${sel} .edge-rps`)?.textContent ?? ''), v2Edge, { timeout: 60_000 });
    const before = rpsOf(await page.locator(`${v2Edge} .edge-rps`).textContent());
    expect(before).toBeGreaterThan(0);
    expect(await page.locator(v2Edge).textContent()).toContain('mTLS');
    const weights = await page.locator('#policy [data-host="reviews.default.svc.cluster.local"] .dest').allTextContents();
    expect(weights).toEqual(['v1 (version=v1)80 %', 'v2 (version=v2)20 %']);
    const shot = process.env.SKEIN_DASHBOARD_SCREENSHOT;
    if (shot) await page.screenshot({ path: path.resolve(repo, shot), fullPage: true });

    // Everything to v1, while it runs: the control plane pushes the routes, v2's rate drains to 0.
    fs.writeFileSync(meshYaml, fs.readFileSync(meshYaml, 'utf8').replace('weight: 80', 'weight: 100').replace('weight: 20', 'weight: 0'));
    await page.waitForFunction(() => /100 %/.test(document.querySelector('#policy [data-subset="v1"]')?.textContent ?? ''), undefined, { timeout: 60_000 });
    await page.waitForFunction((sel: string) => /^0\.0 rps/.test(document.querySelector(`${sel} .edge-rps`)?.textContent ?? ''), v2Edge, { timeout: 90_000 });
    expect(rpsOf(await page.locator(`${v2Edge} .edge-rps`).textContent())).toBe(0);
    expect(rpsOf(await page.locator('[data-edge-label="http:default/frontend/v1->default/reviews/v1"] .edge-rps').textContent())).toBeGreaterThan(0);
  });

  it('logged no console error (script errors, CSP violations)', () => {
    expect(browser!.errors).toEqual([]);
  });
});

describeBrowser('the dashboard in Chromium, fed hostile names (a compromised proxy\'s labels and metadata)', () => {
  jest.setTimeout(120_000);
  const hostile = {
    workload: '<img src=x onerror="window.__xss=1">',
    caller: '</text><script>window.__xss=2</script>',
    version: '"><svg onload="window.__xss=3">',
    flags: '<b onmouseover="window.__xss=4">UF</b>',
    nack: '<script>window.__xss=5</script>',
  };
  let metrics: http.Server;
  let server: http.Server;
  let dashboard: Dashboard;
  let browser: Browser | undefined;
  let scrapes = 0;

  beforeAll(async () => {
    const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    metrics = http.createServer((_req, res) => {
      scrapes++;
      const labels = `reporter="destination",source_workload="${esc(hostile.caller)}",source_workload_namespace="default",source_version="v1",source_principal="spiffe://cluster.local/ns/default/sa/x",destination_workload="${esc(hostile.workload)}",destination_workload_namespace="default",destination_version="${esc(hostile.version)}",destination_principal="spiffe://cluster.local/ns/default/sa/y",response_code="503",response_flags="${esc(hostile.flags)}"`;
      res.end(`# TYPE skein_requests_total counter\nskein_requests_total{${labels}} ${scrapes * 10}\n`);
    });
    await new Promise<void>((r) => metrics.listen(0, '127.0.0.1', () => r()));
    const port = (metrics.address() as AddressInfo).port;
    const source: MeshSource = {
      snapshot: () => ({
        trustDomain: 'cluster.local',
        policy: { clusterDomain: 'cluster.local', rootNamespace: 'skein-system', virtualServices: [], destinationRules: [], peerAuthentications: [] },
        proxies: [{
          proxy: { id: 'sidecar~127.0.0.1~evil.default~default.svc.cluster.local', ip: '127.0.0.1', pod: 'evil', namespace: 'default', metadata: { WORKLOAD_NAME: hostile.workload, LABELS: { version: hostile.version }, SKEIN_PROMETHEUS_PORT: String(port) } },
          sync: [{ type: 'LDS', status: 'NACKED', version: '1', message: hostile.nack }],
        }],
      }),
    };
    dashboard = new Dashboard(source, { access: 'loopback', webRoot: path.join(repo, 'dist/dashboard/src/web'), scraper: { intervalMs: 500 } });
    server = http.createServer((req, res) => {
      if (!dashboard.handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    browser = await openBrowser();
    await browser.page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => metrics.close(() => r()));
  });

  it('shows every hostile string as text and runs none of it', async () => {
    const page = browser!.page;
    await page.waitForFunction(() => document.querySelectorAll('#calls tbody tr[data-edge]').length > 0, undefined, { timeout: 60_000 });
    const text = await page.locator('body').innerText();
    for (const s of Object.values(hostile)) expect(text).toContain(s);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('img, [onerror], [onload], [onmouseover], b').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(2); // dagre and the page's own
    expect(browser!.errors).toEqual([]);
  });
});
