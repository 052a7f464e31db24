// Package entry point: the client library (see client/index.ts and the README's "Client library" section).
export * from './client';
