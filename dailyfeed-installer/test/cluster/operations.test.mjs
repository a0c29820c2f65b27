// The VirtualService, DestinationRule and HPA values equal the tables of operations.md
// (read from shared/spec when present, else the committed copy, and the test says which).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { byKind, INSTALLER_DIR, loadManifests, operationsValues, skipWith } from './helpers.mjs';
import { services } from '../../scripts/lib/model.mjs';
import { findOperationsMd, loadCommittedValues } from '../../scripts/lib/operations.mjs';

const { source, values } = operationsValues();
const manifests = loadManifests();
const SVCS = services();
console.info(`[operations] expected values read from: ${source}`);

describe(`operations.md values (source: ${source})`, () => {
  it('the committed copy config/operations-values.json equals operations.md', (ctx) => {
    if (!findOperationsMd()) skipWith(ctx, 'operations.md not found beside the repo (shared/spec): only the committed copy is checked');
    const { $comment, ...committed } = loadCommittedValues();
    void $comment;
    expect(committed).toEqual(values);
  });

  for (const svc of SVCS) {
    describe(svc.key, () => {
      const vsGw = byKind(manifests, 'VirtualService').find((m) => m.doc.metadata.name === `${svc.name}-gateway`).doc;
      const vsMesh = byKind(manifests, 'VirtualService').find((m) => m.doc.metadata.name === svc.name).doc;
      const dr = byKind(manifests, 'DestinationRule').find((m) => m.doc.metadata.name === svc.name).doc;
      const hpa = byKind(manifests, 'HorizontalPodAutoscaler').find((m) => m.doc.metadata.name === svc.name).doc;

      it('VirtualServices (gateway and mesh): read route has the table policy, writes retry only connect-failure,refused-stream (§1)', () => {
        const t = values.virtualService.perService[svc.key];
        for (const vs of [vsGw, vsMesh]) {
          const [read, write, other] = vs.spec.http;
          expect(read.timeout).toBe(t.timeout);
          expect(read.retries).toEqual({ attempts: t.attempts, perTryTimeout: t.perTryTimeout, retryOn: t.retryOn, retryRemoteLocalities: t.retryRemoteLocalities });
          expect(read.match.every((m) => m.method.regex === '^(GET|HEAD)$')).toBe(true);
          expect(write.match.every((m) => m.method.regex === '^(POST|PUT|PATCH|DELETE)$')).toBe(true);
          for (const r of [write, other]) {
            expect(r.timeout).toBe(t.timeout);
            expect(r.retries.retryOn).toBe('connect-failure,refused-stream');
            expect(r.retries.retryRemoteLocalities).toBe(t.retryRemoteLocalities);
          }
          for (const r of vs.spec.http) {
            expect(r.route).toEqual([{ destination: { host: svc.fqdn, subset: 'v1', port: { number: svc.port } }, weight: 100 }]);
          }
        }
        expect(vsGw.spec.gateways).toEqual(['dailyfeed/dailyfeed-gateway']);
        expect(vsMesh.spec.gateways).toEqual(['mesh']);
        expect(vsMesh.spec.hosts).toEqual([svc.fqdn]);
      });

      it('DestinationRule equals §2', () => {
        const c = values.destinationRule.common;
        const p = values.destinationRule.perService[svc.key];
        expect(dr.spec.host).toBe(svc.fqdn);
        expect(dr.spec.trafficPolicy).toEqual({
          loadBalancer: { simple: c.loadBalancer },
          connectionPool: {
            tcp: { maxConnections: p.maxConnections, connectTimeout: c.connectTimeout, tcpKeepalive: c.tcpKeepalive },
            http: {
              http1MaxPendingRequests: p.http1MaxPendingRequests,
              http2MaxRequests: p.http2MaxRequests,
              maxRequestsPerConnection: p.maxRequestsPerConnection,
              maxRetries: p.maxRetries,
              idleTimeout: p.idleTimeout,
              h2UpgradePolicy: c.h2UpgradePolicy,
            },
          },
          outlierDetection: c.outlierDetection,
        });
        expect(dr.spec.subsets).toEqual([{ name: 'v1', labels: { version: 'v1' } }]);
      });

      it('HPA equals §3', () => {
        const h = values.hpa[svc.key];
        expect(hpa.apiVersion).toBe('autoscaling/v2');
        expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: `${svc.name}-v1` });
        expect(hpa.spec.minReplicas).toBe(h.minReplicas);
        expect(hpa.spec.maxReplicas).toBe(h.maxReplicas);
        const util = (n) => hpa.spec.metrics.find((m) => m.resource.name === n).resource.target;
        expect(util('cpu')).toEqual({ type: 'Utilization', averageUtilization: h.cpuUtilization });
        expect(util('memory')).toEqual({ type: 'Utilization', averageUtilization: h.memoryUtilization });
        for (const dir of ['scaleUp', 'scaleDown']) {
          const want = h[dir];
          expect(hpa.spec.behavior[dir]).toEqual({
            stabilizationWindowSeconds: want.stabilizationWindowSeconds,
            selectPolicy: want.selectPolicy,
            policies: [
              { type: 'Percent', value: want.percent, periodSeconds: want.periodSeconds },
              { type: 'Pods', value: want.pods, periodSeconds: want.periodSeconds },
            ],
          });
        }
      });
    });
  }

  it('the activity DestinationRule keeps the design value http1MaxPendingRequests: 10', () => {
    const dr = byKind(manifests, 'DestinationRule').find((m) => m.doc.metadata.name === 'dailyfeed-activity-svc').doc;
    expect(dr.spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests).toBe(10);
  });

  it('the committed copy is valid JSON with the three sections', () => {
    const raw = JSON.parse(readFileSync(join(INSTALLER_DIR, 'config', 'operations-values.json'), 'utf8'));
    expect(Object.keys(raw)).toEqual(expect.arrayContaining(['virtualService', 'destinationRule', 'hpa']));
  });
});
