/** The public surface of src/comfy: what src/pool and src/jobs import. */
export { ComfyClient, ComfyClientOptionsSchema } from './client.ts';
export type { ComfyClientEvents, ComfyClientOptions, FollowOptions, InterruptOutcome, ReconcileReport, SocketPort, SubmitOptions } from './client.ts';
export { ComfyHttp, ComfyHttpOptionsSchema } from './http.ts';
export type { CallOptions, ComfyHttpOptions, FileRef, PostPromptReply, PostPromptRequest, UploadOptions, ViewOptions } from './http.ts';
export { ComfySocket, ComfySocketOptionsSchema } from './socket.ts';
export type { ComfySocketEvents, ComfySocketOptions, OpenInfo, SocketState, UnknownFrame } from './socket.ts';
export { PromptRun } from './run.ts';
export type { PromptEvent, PromptEventMap, PromptResult, PromptStatus } from './run.ts';
export * from './errors.ts';
export * from './messages.ts';
export * from './replies.ts';
export * from './preview.ts';
export { backoffCeiling, fullJitterDelay } from './backoff.ts';
export type { BackoffPolicy } from './backoff.ts';
export type { ComfyLogger } from './logger.ts';
export { silentLogger } from './logger.ts';
export { TypedEmitter } from './emitter.ts';
