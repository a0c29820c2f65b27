export * from './job-runner.ts';
