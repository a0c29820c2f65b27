/** Prometheus metrics of image-svc, registered on the app's registry (served at /metrics). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function imageMetrics(registry: Registry, load: () => { active: number; waiting: number }) {
  return {
    uploads: new Counter({ name: 'image_uploads_total', help: 'upload requests by HTTP status', labelNames: ['status'] as const, registers: [registry] }),
    pipelineSeconds: new Histogram({
      name: 'image_pipeline_seconds',
      help: 'time of one sharp pipeline (decode, orient, three WebP variants), queueing excluded',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    pipelines: new Gauge({
      name: 'image_pipelines',
      help: 'sharp pipelines running and waiting for a slot',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const { active, waiting } = load();
        this.set({ state: 'active' }, active);
        this.set({ state: 'waiting' }, waiting);
      },
    }),
  };
}
export type ImageMetrics = ReturnType<typeof imageMetrics>;
