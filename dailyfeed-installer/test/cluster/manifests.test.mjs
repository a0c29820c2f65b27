import { describe, expect, it } from 'vitest';
import { byKind, loadManifests, validateObject } from './helpers.mjs';
import { services } from '../../scripts/lib/model.mjs';

const manifests = loadManifests();
const SVCS = services();

describe('every manifest under k8s/ is valid against the Kubernetes and Istio schemas', () => {
  it('finds the manifests', () => {
    expect(manifests.length).toBeGreaterThan(50);
  });
  for (const { file, doc } of manifests) {
    it(`${file}: ${doc.kind} ${doc.metadata?.name}`, async () => {
      expect(doc.apiVersion, 'apiVersion').toBeTruthy();
      expect(doc.metadata?.name, 'metadata.name').toBeTruthy();
      await validateObject(doc);
    });
  }
  it('rejects an invalid object (the validator is really on)', async () => {
    await expect(
      validateObject({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'x' }, spec: { http: [{ retries: { attempts: 'five' } }] } }),
    ).rejects.toThrow(/attempts/);
    await expect(
      validateObject({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'x' }, spec: { maxReplicas: '3' } }),
    ).rejects.toThrow();
  });
});

describe('namespaces', () => {
  const ns = Object.fromEntries(byKind(manifests, 'Namespace').map((m) => [m.doc.metadata.name, m.doc]));
  it('dailyfeed has sidecar injection, dailyfeed-infra has none', () => {
    expect(ns.dailyfeed.metadata.labels['istio-injection']).toBe('enabled');
    expect(ns['dailyfeed-infra'].metadata.labels['istio-injection']).not.toBe('enabled');
  });
});

describe('per service workloads', () => {
  const deployments = byKind(manifests, 'Deployment').filter((m) => m.doc.metadata.namespace === 'dailyfeed');
  for (const svc of SVCS) {
    describe(svc.name, () => {
      const dep = deployments.find((m) => m.doc.metadata.name === `${svc.name}-v1`)?.doc;
      const service = byKind(manifests, 'Service').find((m) => m.doc.metadata.name === svc.name)?.doc;
      it('has a ServiceAccount, a Service with named port http, a Deployment', () => {
        expect(byKind(manifests, 'ServiceAccount').some((m) => m.doc.metadata.name === svc.name)).toBe(true);
        expect(service.spec.ports).toEqual([expect.objectContaining({ name: 'http', port: svc.port, targetPort: 'http' })]);
        expect(service.spec.selector).toEqual({ app: svc.name });
        expect(dep).toBeTruthy();
      });
      it('Deployment: labels app + version v1, no replicas, probes, resources, env', () => {
        expect(dep.metadata.labels).toMatchObject({ app: svc.name, version: 'v1' });
        expect(dep.spec.template.metadata.labels).toMatchObject({ app: svc.name, version: 'v1' });
        expect(dep.spec).not.toHaveProperty('replicas');
        const c = dep.spec.template.spec.containers[0];
        expect(c.startupProbe.httpGet.path).toBe('/healthcheck/startup');
        expect(c.livenessProbe.httpGet.path).toBe('/healthcheck/live');
        expect(c.readinessProbe.httpGet.path).toBe('/healthcheck/ready');
        expect(c.resources.requests.cpu).toBeTruthy();
        expect(c.resources.requests.memory).toBeTruthy();
        expect(c.ports[0]).toMatchObject({ name: 'http', containerPort: svc.port });
        expect(c.env.find((e) => e.name === 'PORT').value).toBe(String(svc.port));
        expect(c.envFrom.map((e) => e.configMapRef?.name ?? e.secretRef?.name)).toEqual(['dailyfeed-config', `${svc.name}-secrets`]);
        expect(dep.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      });
      it('has a migration Job without a sidecar', () => {
        const job = byKind(manifests, 'Job').find((m) => m.doc.metadata.name === `${svc.name}-migrate`)?.doc;
        expect(job.spec.template.metadata.annotations['sidecar.istio.io/inject']).toBe('false');
        expect(job.spec.template.spec.containers[0].command).toEqual(['node', 'dist/migrate.js']);
        // the Job's pods must not become endpoints of the Service
        expect(job.spec.template.metadata.labels.app).not.toBe(svc.name);
      });
    });
  }
  it('every Deployment in dailyfeed has app + version labels and no replicas', () => {
    for (const { doc } of deployments) {
      expect(doc.spec.template.metadata.labels.app, doc.metadata.name).toBeTruthy();
      expect(doc.spec.template.metadata.labels.version, doc.metadata.name).toBeTruthy();
      expect(doc.spec.replicas, doc.metadata.name).toBeUndefined();
    }
  });
});

describe('infrastructure', () => {
  const sts = byKind(manifests, 'StatefulSet');
  it('PostgreSQL 15, Redis, Kafka KRaft, MinIO, Meilisearch run with volumes in dailyfeed-infra', () => {
    const names = sts.map((m) => m.doc.metadata.name).sort();
    expect(names).toEqual(['kafka', 'meilisearch', 'minio', 'postgres', 'redis']);
    for (const { doc } of sts) {
      expect(doc.metadata.namespace).toBe('dailyfeed-infra');
      expect(doc.spec.volumeClaimTemplates.length).toBe(1);
    }
    const image = (n) => sts.find((m) => m.doc.metadata.name === n).doc.spec.template.spec.containers[0].image;
    expect(image('postgres')).toMatch(/^postgres:15[.-]/);
    expect(image('kafka')).toMatch(/^apache\/kafka:/);
    const kafkaEnv = Object.fromEntries(sts.find((m) => m.doc.metadata.name === 'kafka').doc.spec.template.spec.containers[0].env.map((e) => [e.name, e.value]));
    expect(kafkaEnv.KAFKA_PROCESS_ROLES).toBe('broker,controller');
  });
  it('the PostgreSQL init script creates the schemas and roles of dailyfeed-shared/CONVENTIONS.md', () => {
    const cm = byKind(manifests, 'ConfigMap').find((m) => m.doc.metadata.name === 'postgres-init').doc;
    const sql = Object.values(cm.data).join('\n');
    expect(sql).toMatch(/CREATE DATABASE dailyfeed TEMPLATE template0 ENCODING 'UTF8' .*LC_CTYPE 'C\.UTF-8'/);
    expect(sql).toMatch(/CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public/);
    for (const s of SVCS.map((x) => x.key)) {
      expect(sql).toContain(`CREATE ROLE dailyfeed_${s} LOGIN PASSWORD :'${s}_pw'`);
      expect(sql).toContain(`CREATE SCHEMA ${s} AUTHORIZATION dailyfeed_${s}`);
    }
    expect(sql).toContain('GRANT USAGE ON SCHEMA member, content TO dailyfeed_timeline, dailyfeed_search, dailyfeed_activity');
    expect(sql).toMatch(/ALTER DEFAULT PRIVILEGES FOR ROLE dailyfeed_content IN SCHEMA content GRANT SELECT ON TABLES/);
  });
  it('the mesh reaches the infrastructure with TLS disabled', () => {
    const drs = byKind(manifests, 'DestinationRule').filter((m) => m.doc.spec.host.endsWith('.dailyfeed-infra.svc.cluster.local'));
    expect(drs.map((m) => m.doc.spec.host.split('.')[0]).sort()).toEqual(['kafka', 'meilisearch', 'minio', 'postgres', 'redis']);
    for (const { doc } of drs) expect(doc.spec.trafficPolicy.tls.mode).toBe('DISABLE');
  });
});

describe('mesh security, gateway and metrics-server', () => {
  it('PeerAuthentication STRICT in dailyfeed', () => {
    const pa = byKind(manifests, 'PeerAuthentication')[0].doc;
    expect(pa.metadata.namespace).toBe('dailyfeed');
    expect(pa.spec.mtls.mode).toBe('STRICT');
  });
  it('AuthorizationPolicy denies /internal/* to the ingress gateway identity', () => {
    const ap = byKind(manifests, 'AuthorizationPolicy')[0].doc;
    expect(ap.spec.action).toBe('DENY');
    expect(ap.spec.rules[0].from[0].source.principals).toContain('cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account');
    expect(ap.spec.rules[0].to[0].operation.paths).toContain('/internal/*');
  });
  it('Gateway on port 80 selecting the ingress gateway', () => {
    const gw = byKind(manifests, 'Gateway')[0].doc;
    expect(gw.spec.selector).toEqual({ istio: 'ingressgateway' });
    expect(gw.spec.servers[0].port).toMatchObject({ number: 80, protocol: 'HTTP' });
  });
  it('EnvoyFilter: local rate limit token bucket at the ingress gateway', () => {
    const ef = byKind(manifests, 'EnvoyFilter')[0].doc;
    expect(ef.spec.workloadSelector.labels).toEqual({ istio: 'ingressgateway' });
    const v = ef.spec.configPatches[0].patch.value;
    expect(v.name).toBe('envoy.filters.http.local_ratelimit');
    expect(v.typed_config.token_bucket).toMatchObject({ max_tokens: expect.any(Number), fill_interval: expect.any(String) });
  });
  it('metrics-server is pinned and has the kind flags', () => {
    const ms = byKind(manifests, 'Deployment').find((m) => m.doc.metadata.name === 'metrics-server').doc;
    const c = ms.spec.template.spec.containers[0];
    expect(c.image).toMatch(/^registry\.k8s\.io\/metrics-server\/metrics-server:v\d+\.\d+\.\d+$/);
    expect(c.args).toContain('--kubelet-insecure-tls');
    expect(c.args).toContain('--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname');
  });
  it('the ingress gateway NodePort of both Istio install paths is 30080', () => {
    const op = loadManifests().find((m) => m.doc.kind === 'IstioOperator').doc;
    const ports = op.spec.components.ingressGateways[0].k8s.service.ports;
    expect(ports.find((p) => p.port === 80).nodePort).toBe(30080);
  });
});
