#!/usr/bin/env node
// Generates the Istio routing of every service from routes.json (the one route table, shared
// with the local gateway) and the numbers of operations.md (config/operations-values.json):
//   k8s/istio/routing/<service>.yaml           VirtualService "<service>-gateway" (ingress) + "<service>" (mesh)
//   k8s/istio/destination-rules/<service>.yaml DestinationRule
// No dependencies. `--refresh-values` first rewrites config/operations-values.json from operations.md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_REF, HEADER, NS, services } from './lib/model.mjs';
import { INSTALLER_DIR, VALUES_FILE, findOperationsMd, loadCommittedValues, parseOperationsMd } from './lib/operations.mjs';
import { toYamlDocs } from './lib/yaml-emit.mjs';

const methodRegex = (methods) => `^(${methods.join('|')})$`;

function route(svc) {
  return [{ destination: { host: svc.fqdn, subset: 'v1', port: { number: svc.port } }, weight: 100 }];
}

/**
 * Three routes per service, in this order:
 *  read  (GET, HEAD)                 the table's timeout and retry policy;
 *  write (POST, PUT, PATCH, DELETE)  same timeout, retries only when the request never reached the app;
 *  other (OPTIONS for CORS preflight, anything else) as write.
 * On the ingress gateway each route matches the service's prefixes; in the mesh the host alone
 * decides, so internal paths (/internal/..., /healthcheck/...) reach the service too.
 */
export function httpRoutes(svc, values, { prefixes }) {
  const vs = values.virtualService;
  const p = vs.perService[svc.key];
  const readRetries = { attempts: p.attempts, perTryTimeout: p.perTryTimeout, retryOn: p.retryOn, retryRemoteLocalities: p.retryRemoteLocalities };
  const writeRetries = { ...readRetries, retryOn: vs.writeRetryOn };
  const matches = (methods) =>
    prefixes
      ? prefixes.map((prefix) => (methods ? { uri: { prefix }, method: { regex: methodRegex(methods) } } : { uri: { prefix } }))
      : methods
        ? [{ method: { regex: methodRegex(methods) } }]
        : undefined;
  return [
    { name: 'read', match: matches(vs.readMethods), route: route(svc), timeout: p.timeout, retries: readRetries },
    { name: 'write', match: matches(vs.writeMethods), route: route(svc), timeout: p.timeout, retries: writeRetries },
    { name: 'other', match: matches(null), route: route(svc), timeout: p.timeout, retries: writeRetries },
  ];
}

export function virtualServices(svc, values) {
  const meta = (name) => ({ name, namespace: NS, labels: { app: svc.name } });
  return [
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: meta(`${svc.name}-gateway`),
      spec: { hosts: ['*'], gateways: [GATEWAY_REF], http: httpRoutes(svc, values, { prefixes: svc.prefixes }) },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: meta(svc.name),
      spec: { hosts: [svc.fqdn], gateways: ['mesh'], http: httpRoutes(svc, values, { prefixes: null }) },
    },
  ];
}

export function destinationRule(svc, values) {
  const c = values.destinationRule.common;
  const p = values.destinationRule.perService[svc.key];
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: svc.name, namespace: NS, labels: { app: svc.name } },
    spec: {
      host: svc.fqdn,
      trafficPolicy: {
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
      },
      subsets: [c.subset],
    },
  };
}

/** {relativePath: content} of every generated file. */
export function generate(values = loadCommittedValues()) {
  const files = {};
  for (const svc of services()) {
    files[`k8s/istio/routing/${svc.key}.yaml`] = toYamlDocs(virtualServices(svc, values), HEADER('gen-istio.mjs'));
    files[`k8s/istio/destination-rules/${svc.key}.yaml`] = toYamlDocs([destinationRule(svc, values)], HEADER('gen-istio.mjs'));
  }
  const kustomization = (resources) => toYamlDocs([{ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources }], HEADER('gen-istio.mjs'));
  files['k8s/istio/routing/kustomization.yaml'] = kustomization(services().map((s) => `${s.key}.yaml`));
  files['k8s/istio/destination-rules/kustomization.yaml'] = kustomization(services().map((s) => `${s.key}.yaml`));
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--refresh-values')) {
    const md = findOperationsMd();
    if (!md) throw new Error('operations.md not found (set DAILYFEED_SPEC_DIR)');
    const values = { $comment: 'Committed copy of the numbers of shared/spec/operations.md sections 1-3 (node scripts/gen-istio.mjs --refresh-values).', ...parseOperationsMd(readFileSync(md, 'utf8')) };
    writeFileSync(VALUES_FILE, `${JSON.stringify(values, null, 2)}\n`);
    console.error(`wrote ${VALUES_FILE} from ${md}`);
  }
  for (const [rel, content] of Object.entries(generate())) {
    const path = join(INSTALLER_DIR, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
    console.error(`wrote ${rel}`);
  }
}
