/** The shapes of a network diagnosis: endpoints, proxy decisions, stages and their results. */

export type StageName = 'proxy' | 'dns' | 'tcp' | 'tls' | 'http' | 'websocket';
export const STAGES: readonly StageName[] = ['proxy', 'dns', 'tcp', 'tls', 'http', 'websocket'];

export type StageStatus = 'pass' | 'fail' | 'timeout' | 'skip';

export interface Endpoint {
  /** Short label for reports ("api", "reference server"). */
  name: string;
  /** https://host[:port]/path, http://…, wss://… or ws://… */
  url: string;
  /** Path for a WebSocket upgrade after HTTP, when the endpoint uses one. */
  websocketPath?: string;
}

export interface ProxyServer {
  host: string;
  port: number;
  /** user:password from the proxy URL; never printed (see redactProxyUrl). */
  auth?: { username: string; password: string };
}

export interface ProxyDecision {
  mode: 'direct' | 'proxy' | 'unsupported';
  proxy?: ProxyServer;
  /** Where the decision came from: "--proxy", "HTTPS_PROXY", "PAC http://…", "WinINET", "scutil", "gsettings", "none". */
  source: string;
  /** The PAC answer, verbatim, when a PAC file decided. */
  pacResult?: string;
  /** The NO_PROXY entry (or bypass list entry) that made the host go direct. */
  bypassedBy?: string;
  /** The proxy as printable text: credentials replaced by "***". */
  display: string;
}

export interface StageError {
  /** Node's error code (ECONNREFUSED, ENOTFOUND, ERR_SSL_…), or a probe code (TIMEOUT, HTTP_403). */
  code: string;
  /** The raw error message. */
  message: string;
}

export interface StageResult {
  stage: StageName;
  status: StageStatus;
  durationMs: number;
  /** One line an admin can act on. */
  summary: string;
  error?: StageError;
  details: Record<string, unknown>;
}

export interface CertSummary {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
  selfSigned: boolean;
}

export interface InterceptionInfo {
  detected: boolean;
  /** The issuer DN of the top-most presented certificate. */
  issuer: string;
  vendor?: string;
  product?: string;
  kind?: 'antivirus' | 'corporate-proxy' | 'debugging-proxy' | 'unknown';
  /** How it was decided: issuer pattern, chain differs from the direct one, untrusted root. */
  evidence: string[];
  /** Hosts the admin should exempt from inspection. */
  exemptHosts: string[];
}

export interface EndpointResult {
  endpoint: Endpoint;
  host: string;
  port: number;
  verdict: 'pass' | 'fail' | 'timeout';
  /** The first stage that failed, when one did. */
  failedStage?: StageName;
  /** One line: the verdict in words. */
  message: string;
  proxy: ProxyDecision;
  stages: StageResult[];
  interception?: InterceptionInfo;
  durationMs: number;
}
