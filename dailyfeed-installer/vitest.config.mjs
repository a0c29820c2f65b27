// Test files run one at a time: the end-to-end and fault suites share one running stack
// (a fault suite stops Kafka, Redis or a service), and timing figures must not be measured
// while another file loads the machine. The offline suites (test/cluster) are not slowed
// noticeably by this (5.2 s -> 5.8 s).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    fileParallelism: false,
  },
});
