// The Istio routes equal routes.json (the table the local gateway also reads), and every
// generated file is exactly what its generator writes today.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { byKind, INSTALLER_DIR, loadManifests, skipWith } from './helpers.mjs';
import { loadRoutes } from '../../scripts/lib/model.mjs';
import { generate as genIstio } from '../../scripts/gen-istio.mjs';
import { generate as genServices } from '../../scripts/gen-services.mjs';

const manifests = loadManifests();
const routes = loadRoutes();

describe('Istio routing equals routes.json', () => {
  it('each service has a gateway VirtualService whose routes match exactly its prefixes, in order', () => {
    for (const [key, s] of Object.entries(routes.services)) {
      const vs = byKind(manifests, 'VirtualService').find((m) => m.doc.metadata.name === `${s.host}-gateway`)?.doc;
      expect(vs, key).toBeTruthy();
      for (const r of vs.spec.http) {
        expect([...new Set(r.match.map((m) => m.uri.prefix))], `${key} ${r.name}`).toEqual(s.prefixes);
        expect(r.route[0].destination.host).toBe(`${s.host}.dailyfeed.svc.cluster.local`);
        expect(r.route[0].destination.port.number).toBe(s.port);
      }
    }
  });
  it('the gateway routes only /api/... and /.well-known/..., never /internal', () => {
    const prefixes = byKind(manifests, 'VirtualService')
      .filter((m) => m.doc.spec.gateways.includes('dailyfeed/dailyfeed-gateway') && m.doc.metadata.name !== 'dailyfeed-frontend-gateway')
      .flatMap((m) => m.doc.spec.http.flatMap((r) => r.match.map((x) => x.uri.prefix)));
    expect(prefixes.length).toBeGreaterThan(0);
    for (const p of prefixes) expect(p).toMatch(/^\/(api|\.well-known)\//);
  });
  it('no prefix is claimed by two services', () => {
    const all = Object.values(routes.services).flatMap((s) => s.prefixes);
    expect(new Set(all).size).toBe(all.length);
  });
  it('the frontend route is a catch-all (prefix / only), so Istio orders it after the /api prefixes', () => {
    const fe = byKind(manifests, 'VirtualService').find((m) => m.doc.metadata.name === 'dailyfeed-frontend-gateway').doc;
    expect(fe.spec.http).toHaveLength(1);
    expect(fe.spec.http[0].match).toEqual([{ uri: { prefix: '/' } }]);
  });
  it('Services and VirtualService hosts use the routes.json names and ports', () => {
    for (const s of Object.values(routes.services)) {
      const svc = byKind(manifests, 'Service').find((m) => m.doc.metadata.name === s.host).doc;
      expect(svc.spec.ports[0].port).toBe(s.port);
    }
  });
});

describe('committed generated files equal the generators', () => {
  const files = { ...genIstio(), ...genServices() };
  for (const [rel, content] of Object.entries(files)) {
    it(rel, () => {
      expect(readFileSync(join(INSTALLER_DIR, rel), 'utf8')).toBe(content);
    });
  }
});

describe('kind cluster config', () => {
  const kind = parse(readFileSync(join(INSTALLER_DIR, 'kind', 'cluster.yaml'), 'utf8'));
  const common = readFileSync(join(INSTALLER_DIR, 'lib', 'common.sh'), 'utf8');
  it('is a kind v1alpha4 Cluster with 1 control plane and 2 workers', () => {
    expect(kind.kind).toBe('Cluster');
    expect(kind.apiVersion).toBe('kind.x-k8s.io/v1alpha4');
    expect(kind.nodes.map((n) => n.role)).toEqual(['control-plane', 'worker', 'worker']);
  });
  it('maps the ingress NodePort to 127.0.0.1:8080 on the control plane only', () => {
    const [cp, ...workers] = kind.nodes;
    expect(cp.extraPortMappings).toEqual([{ containerPort: 30080, hostPort: 8080, listenAddress: '127.0.0.1', protocol: 'TCP' }]);
    for (const w of workers) expect(w.extraPortMappings).toBeUndefined();
    const helmValues = parse(readFileSync(join(INSTALLER_DIR, 'k8s', 'istio', 'install', 'helm-gateway-values.yaml'), 'utf8'));
    expect(helmValues.service.ports.find((p) => p.port === 80).nodePort).toBe(cp.extraPortMappings[0].containerPort);
    const op = manifests.find((m) => m.doc.kind === 'IstioOperator').doc;
    expect(op.spec.components.ingressGateways[0].k8s.service.ports.find((p) => p.port === 80).nodePort).toBe(cp.extraPortMappings[0].containerPort);
  });
  it('pins every node image to the version in lib/common.sh', () => {
    const pinned = common.match(/^DAILYFEED_KIND_NODE_IMAGE="([^"]+)"/m)[1];
    expect(pinned).toMatch(/^kindest\/node:v\d+\.\d+\.\d+/);
    for (const n of kind.nodes) expect(n.image).toBe(pinned);
  });
  it('pins Istio and metrics-server; metrics-server manifest matches the pin', () => {
    const ms = common.match(/^DAILYFEED_METRICS_SERVER_VERSION="([^"]+)"/m)[1];
    expect(common).toMatch(/^DAILYFEED_ISTIO_VERSION="\d+\.\d+\.\d+"/m);
    const dep = manifests.find((m) => m.doc.kind === 'Deployment' && m.doc.metadata.name === 'metrics-server').doc;
    expect(dep.spec.template.spec.containers[0].image.endsWith(`:${ms}`)).toBe(true);
  });
});

describe('local gateway shares the route table', () => {
  it('routes.json is the one table (the local gateway reads it; checked by its own tests)', (ctx) => {
    if (!existsSync(join(INSTALLER_DIR, 'local'))) skipWith(ctx, 'local/ (the local stack) is not in this checkout');
    expect(routes.$comment).toMatch(/local gateway/);
  });
});
