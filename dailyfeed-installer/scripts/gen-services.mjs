#!/usr/bin/env node
// Generates the per-service workloads from routes.json and config/operations-values.json (HPA, §3):
//   k8s/services/<service>.yaml    ServiceAccount, Service (named port http), Deployment (app + version, no replicas)
//   k8s/hpa/<service>.yaml         HorizontalPodAutoscaler autoscaling/v2
//   k8s/migrations/<service>.yaml  migration Job (no sidecar), applied and waited for before the Deployment
// Images are the bare names (dailyfeed-<svc>-svc); install.sh sets registry and tag with a kustomize overlay.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEADER, MIGRATION_PHASE, NS, RESOURCES, services } from './lib/model.mjs';
import { INSTALLER_DIR, loadCommittedValues } from './lib/operations.mjs';
import { toYamlDocs } from './lib/yaml-emit.mjs';

const POD_SECURITY = { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } };
const CONTAINER_SECURITY = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };

function env(svc) {
  return {
    env: [{ name: 'PORT', value: String(svc.port) }, { name: 'DAILYFEED_SERVICE_VERSION', valueFrom: { fieldRef: { fieldPath: "metadata.labels['version']" } } }],
    envFrom: [{ configMapRef: { name: 'dailyfeed-config' } }, { secretRef: { name: `${svc.name}-secrets` } }],
  };
}

const probe = (path, extra) => ({ httpGet: { path, port: 'http' }, timeoutSeconds: 3, ...extra });

export function workload(svc) {
  const labels = { app: svc.name, version: 'v1' };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: svc.name, namespace: NS, labels: { app: svc.name } } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: svc.name, namespace: NS, labels: { app: svc.name, service: svc.name } },
      spec: { selector: { app: svc.name }, ports: [{ name: 'http', port: svc.port, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `${svc.name}-v1`, namespace: NS, labels },
      spec: {
        // no replicas: the HorizontalPodAutoscaler owns them (k8s/hpa)
        revisionHistoryLimit: 5,
        selector: { matchLabels: labels },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: {
            labels,
            annotations: {
              'proxy.istio.io/config': '{"holdApplicationUntilProxyStarts": true}',
              'prometheus.io/scrape': 'true',
              'prometheus.io/port': String(svc.port),
              'prometheus.io/path': '/metrics',
            },
          },
          spec: {
            serviceAccountName: svc.name,
            securityContext: POD_SECURITY,
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name: svc.name,
                image: svc.name,
                imagePullPolicy: 'IfNotPresent',
                ports: [{ name: 'http', containerPort: svc.port, protocol: 'TCP' }],
                ...env(svc),
                startupProbe: probe('/healthcheck/startup', { periodSeconds: 2, failureThreshold: 60 }),
                livenessProbe: probe('/healthcheck/live', { periodSeconds: 10, failureThreshold: 3 }),
                readinessProbe: probe('/healthcheck/ready', { periodSeconds: 5, failureThreshold: 3 }),
                resources: RESOURCES[svc.key] ?? RESOURCES.default,
                securityContext: CONTAINER_SECURITY,
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: {} }],
          },
        },
      },
    },
  ];
}

const policies = (r) => [
  { type: 'Percent', value: r.percent, periodSeconds: r.periodSeconds },
  { type: 'Pods', value: r.pods, periodSeconds: r.periodSeconds },
];

export function hpa(svc, values) {
  const h = values.hpa[svc.key];
  const util = (name, averageUtilization) => ({ type: 'Resource', resource: { name, target: { type: 'Utilization', averageUtilization } } });
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: svc.name, namespace: NS, labels: { app: svc.name } },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${svc.name}-v1` },
      minReplicas: h.minReplicas,
      maxReplicas: h.maxReplicas,
      metrics: [util('cpu', h.cpuUtilization), util('memory', h.memoryUtilization)],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: h.scaleUp.stabilizationWindowSeconds, selectPolicy: h.scaleUp.selectPolicy, policies: policies(h.scaleUp) },
        scaleDown: { stabilizationWindowSeconds: h.scaleDown.stabilizationWindowSeconds, selectPolicy: h.scaleDown.selectPolicy, policies: policies(h.scaleDown) },
      },
    },
  };
}

export function migrationJob(svc) {
  const name = `${svc.name}-migrate`;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS, labels: { app: name, 'app.kubernetes.io/part-of': 'dailyfeed', 'dailyfeed.io/migration-phase': String(MIGRATION_PHASE[svc.key]) } },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: 600,
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: {
          // without a sidecar the Job can finish (an Envoy would keep the pod running)
          annotations: { 'sidecar.istio.io/inject': 'false' },
          labels: { app: name, 'dailyfeed.io/migration-phase': String(MIGRATION_PHASE[svc.key]) },
        },
        spec: {
          serviceAccountName: svc.name,
          restartPolicy: 'Never',
          securityContext: POD_SECURITY,
          containers: [
            {
              name: 'migrate',
              image: svc.name,
              imagePullPolicy: 'IfNotPresent',
              command: ['node', 'dist/migrate.js'],
              envFrom: [{ configMapRef: { name: 'dailyfeed-config' } }, { secretRef: { name: `${svc.name}-secrets` } }],
              resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
              securityContext: CONTAINER_SECURITY,
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
}

const kustomization = (resources) => ({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources });

export function generate(values = loadCommittedValues()) {
  const files = {};
  const h = HEADER('gen-services.mjs');
  const svcs = services();
  for (const svc of svcs) {
    files[`k8s/services/${svc.key}.yaml`] = toYamlDocs(workload(svc), h);
    files[`k8s/hpa/${svc.key}.yaml`] = toYamlDocs([hpa(svc, values)], h);
    files[`k8s/migrations/${svc.key}.yaml`] = toYamlDocs([migrationJob(svc)], h);
  }
  files['k8s/services/kustomization.yaml'] = toYamlDocs([kustomization(['config.yaml', ...svcs.map((s) => `${s.key}.yaml`)])], h);
  files['k8s/hpa/kustomization.yaml'] = toYamlDocs([kustomization(svcs.map((s) => `${s.key}.yaml`))], h);
  files['k8s/migrations/kustomization.yaml'] = toYamlDocs([kustomization(svcs.map((s) => `${s.key}.yaml`))], h);
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [rel, content] of Object.entries(generate())) {
    const path = join(INSTALLER_DIR, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
    console.error(`wrote ${rel}`);
  }
}
