// The controller's Prometheus metrics with ingress-nginx's names: reload outcomes and the config hash
// kept by the controller, request counts by Ingress / host / status counted in nginx (log phase).
export interface RequestCount { namespace: string; ingress: string; service: string; host: string; status: string; count: number }

export interface ControllerCounters {
  reloadsOk: number;
  reloadsFailed: number;
  lastReloadSuccessful: boolean;
  /** seconds since the epoch of the last successful reload */
  lastReloadSuccessTime: number;
  /** the running nginx.conf's hash, as a number (upstream exports the config hash as a gauge) */
  configHash: number;
  /** Ingresses rejected in the last sync */
  rejected: number;
  /** backends pushed without a reload */
  dynamicUpdates: number;
}

const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${label(v)}"`).join(',')}}`;

export function renderMetrics(c: ControllerCounters, requests: RequestCount[], controllerClass: string, namespace: string, podName: string): string {
  const base = { controller_class: controllerClass, controller_namespace: namespace, controller_pod: podName };
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, samples: Array<[Record<string, string>, number]>) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of samples) out.push(`${name}${labels({ ...base, ...l })} ${v}`);
  };
  metric('nginx_ingress_controller_config_hash', 'gauge', 'Running configuration hash actually running', [[{}, c.configHash]]);
  metric('nginx_ingress_controller_config_last_reload_successful', 'gauge', 'Whether the last configuration reload attempt was successful', [[{}, c.lastReloadSuccessful ? 1 : 0]]);
  metric('nginx_ingress_controller_config_last_reload_successful_timestamp_seconds', 'gauge', 'Timestamp of the last successful configuration reload.', [[{}, c.lastReloadSuccessTime]]);
  metric('nginx_ingress_controller_success', 'counter', 'Cumulative number of Ingress controller reload operations', [[{}, c.reloadsOk]]);
  metric('nginx_ingress_controller_errors', 'counter', 'Cumulative number of Ingress controller errors during reload operations', [[{}, c.reloadsFailed]]);
  metric('nginx_ingress_controller_dynamic_updates', 'counter', 'Cumulative number of backend updates applied without a reload (svclab)', [[{}, c.dynamicUpdates]]);
  metric('nginx_ingress_controller_rejected_ingresses', 'gauge', 'Ingresses refused in the last sync (svclab)', [[{}, c.rejected]]);
  metric('nginx_ingress_controller_requests', 'counter', 'The total number of client requests', requests.map((r) => [{ namespace: r.namespace, ingress: r.ingress, service: r.service, host: r.host, status: r.status }, r.count]));
  return out.join('\n') + '\n';
}
