"""Helpers of tests/monitoring/run: read the files of monitoring/ and check
what promtool cannot (structure, and that only the metrics contract is used).

  monitoring.py prometheus-copy CONFIG DIR    write CONFIG into DIR with every
                                              file path moved into DIR (the
                                              files made there), rules copied
  monitoring.py prometheus-structure CONFIG
  monitoring.py alerts-structure RULES
  monitoring.py alert-tests-cover TESTS ALERT...
  monitoring.py dashboard-structure DASHBOARD
  monitoring.py dashboard-rules DASHBOARD OUT write every PromQL expression of
                                              the dashboard as a recording rule
  monitoring.py contract DASHBOARD RULES      every series and label used is in
                                              the contract

Each check prints one problem a line and exits 1 when there is one.
"""
import json
import os
import re
import shutil
import sys

import yaml

# The metrics contract of GET v1/metrics: metric -> {label: allowed values or
# None for any value}. job and instance come from Prometheus, le from the
# histogram.
REASONS = {"unverified", "no_identity", "bad_subject", "cn_refused", "address_refused",
           "bad_body", "too_large", "bad_key", "own_key", "key_conflict", "address_conflict",
           "revoked", "denied", "expired", "unavailable", "backend"}
CONTRACT = {
    "autowg_requests_total": {"route": {"register", "peers", "metrics", "other"}, "status": None},
    "autowg_registrations_total": {"outcome": {"registered", "replaced", "unchanged", "refused"}},
    "autowg_refusals_total": {"reason": REASONS},
    "autowg_registration_duration_seconds_bucket": {"le": None},
    "autowg_registration_duration_seconds_sum": {},
    "autowg_registration_duration_seconds_count": {},
    "autowg_pool_peers": {},
    "autowg_static_peers": {},
    "autowg_pool_capacity": {},
    "autowg_peers_by_handshake_age": {"age": {"never", "lt_3m", "lt_1h", "older"}},
    "autowg_evictions_total": {"reason": {"revoked", "denied", "expired", "idle", "operator", "cleanup"}},
    "autowg_backend_errors_total": {},
    "autowg_reconciles_total": {},
    "autowg_last_reconcile_timestamp_seconds": {},
    "autowg_earliest_certificate_expiry_timestamp_seconds": {},
    "autowg_build_info": {"version": None},
    "process_resident_memory_bytes": {},
    "process_open_fds": {},
    "process_start_time_seconds": {},
    "process_cpu_seconds_total": {},
    # written by Prometheus itself for every target
    "up": {},
}
TARGET_LABELS = {"job": {"autowg"}, "instance": None}

# Grafana's variables, replaced by values promtool can parse.
GRAFANA_VARS = [
    (r"\$__rate_interval\b|\$\{__rate_interval\}", "5m"),
    (r"\$__interval\b|\$\{__interval\}", "2m"),
    (r"\$__range\b|\$\{__range\}", "1h"),
    (r"\$instance\b|\$\{instance(:[a-z]+)?\}", ".*"),
]


def problems_exit(problems):
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError as e:
        sys.exit(f"{path}: not JSON: {e}")


# --- prometheus.yml ---------------------------------------------------------------
PATH_KEYS = {"password_file", "bearer_token_file", "credentials_file", "ca_file", "cert_file", "key_file"}


def prometheus_copy(config, out_dir):
    """A copy of CONFIG in OUT_DIR that promtool can check on any machine:
    every secret or certificate file it names is an empty file in OUT_DIR, and
    the rule files it loads are copied beside it."""
    data = load_yaml(config)
    src_dir = os.path.dirname(os.path.abspath(config))

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in PATH_KEYS and isinstance(v, str):
                    local = os.path.join(out_dir, "file-" + os.path.basename(v))
                    open(local, "w").close()
                    node[k] = local
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(data)
    for rule_file in data.get("rule_files") or []:
        if not os.path.isabs(rule_file):
            dest = os.path.join(out_dir, rule_file)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy(os.path.join(src_dir, rule_file), dest)
    with open(os.path.join(out_dir, "prometheus.yml"), "w") as f:
        yaml.safe_dump(data, f)


def prometheus_structure(config):
    data = load_yaml(config)
    problems = []
    rule_files = data.get("rule_files") or []
    if not any(os.path.basename(r) == "autowg-alerts.yml" for r in rule_files):
        problems.append("rule_files does not load autowg-alerts.yml")
    jobs = [j for j in data.get("scrape_configs") or [] if j.get("job_name") == "autowg"]
    if len(jobs) != 1:
        problems.append(f"{len(jobs)} scrape configs with job_name autowg, not 1")
        return problems
    job = jobs[0]
    if job.get("scheme") != "https":
        problems.append(f"scheme is {job.get('scheme')!r}, not https")
    if not str(job.get("metrics_path", "")).endswith("/v1/metrics"):
        problems.append(f"metrics_path {job.get('metrics_path')!r} does not end in /v1/metrics")
    auth = job.get("basic_auth") or {}
    if not auth.get("username") or not auth.get("password_file") or "password" in auth:
        problems.append("basic_auth needs a username and a password_file (and no inline password)")
    groups = job.get("static_configs") or []
    if not groups:
        problems.append("no static_configs")
    for group in groups:
        if not (group.get("labels") or {}).get("instance"):
            problems.append(f"targets {group.get('targets')} have no instance label")
    instances = [(g.get("labels") or {}).get("instance") for g in groups]
    if len(set(instances)) != len(instances):
        problems.append(f"instance labels repeat: {instances}")
    return problems


# --- alert rules ------------------------------------------------------------------
def alert_rules(path):
    for group in load_yaml(path).get("groups") or []:
        for rule in group.get("rules") or []:
            if "alert" in rule:
                yield rule


def alerts_structure(path, wanted):
    problems = []
    seen = set()
    for rule in alert_rules(path):
        name = rule["alert"]
        seen.add(name)
        if not rule.get("for"):
            problems.append(f"{name}: no for: duration")
        if (rule.get("labels") or {}).get("severity") not in ("critical", "warning", "info"):
            problems.append(f"{name}: severity label is not critical, warning or info")
        annotations = rule.get("annotations") or {}
        for key in ("summary", "description"):
            if not annotations.get(key):
                problems.append(f"{name}: no {key} annotation")
    for name in wanted:
        if name not in seen:
            problems.append(f"no alert {name}")
    # every alert is explained by a comment right above it
    with open(path) as f:
        lines = f.read().split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"\s*- alert: (\S+)", line)
        if m and not lines[i - 1].lstrip().startswith("#"):
            problems.append(f"{m.group(1)}: no comment above it")
    return problems


def alert_tests_cover(path, wanted):
    """Every alert in WANTED has a test where it fires and one where it does not."""
    fired, quiet = set(), set()
    for test in load_yaml(path).get("tests") or []:
        for case in test.get("alert_rule_test") or []:
            (fired if case.get("exp_alerts") else quiet).add(case.get("alertname"))
    problems = []
    for name in wanted:
        if name not in fired:
            problems.append(f"{name}: no test where it fires")
        if name not in quiet:
            problems.append(f"{name}: no test where it stays quiet")
    return problems


# --- dashboard --------------------------------------------------------------------
def all_panels(dash):
    for panel in dash.get("panels") or []:
        yield panel
        for inner in panel.get("panels") or []:
            yield inner


def dashboard_exprs(path):
    """(where, expression with Grafana's variables replaced) for every panel
    target and every query variable (the selector inside label_values)."""
    dash = load_json(path)
    out = []
    for panel in all_panels(dash):
        for target in panel.get("targets") or []:
            if "expr" in target:
                out.append((f'panel {panel.get("id")} "{panel.get("title")}" {target.get("refId")}',
                            target["expr"]))
    for var in (dash.get("templating") or {}).get("list") or []:
        if var.get("type") != "query":
            continue
        query = var.get("query")
        if isinstance(query, dict):
            query = query.get("query", "")
        m = re.fullmatch(r"\s*label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)\s*", query or "")
        out.append((f'variable {var.get("name")}', m.group(1) if m else query))
    result = []
    for where, expr in out:
        for pattern, value in GRAFANA_VARS:
            expr = re.sub(pattern, value, expr)
        result.append((where, expr))
    return result


def dashboard_structure(path):
    dash = load_json(path)
    problems = []
    if not 36 <= int(dash.get("schemaVersion", 0)) <= 39:
        problems.append(f"schemaVersion {dash.get('schemaVersion')} is not about 38")
    variables = {v.get("name"): v for v in (dash.get("templating") or {}).get("list") or []}
    ds = variables.get("DS_PROMETHEUS")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.append("no datasource variable DS_PROMETHEUS of type prometheus")
    inst = variables.get("instance")
    if not inst or inst.get("type") != "query":
        problems.append("no query variable instance")
    ids = []
    for panel in all_panels(dash):
        ids.append(panel.get("id"))
        if panel.get("type") == "row":
            continue
        title = panel.get("title")
        if not title:
            problems.append(f"panel {panel.get('id')} has no title")
        if not panel.get("gridPos"):
            problems.append(f"panel {title}: no gridPos")
        targets = panel.get("targets") or []
        if not targets:
            problems.append(f"panel {title}: no targets")
        for obj in [panel] + targets:
            if (obj.get("datasource") or {}).get("uid") != "${DS_PROMETHEUS}":
                problems.append(f"panel {title}: a datasource other than ${{DS_PROMETHEUS}}")
        for target in targets:
            if "$instance" not in target.get("expr", "") and "${instance" not in target.get("expr", ""):
                problems.append(f"panel {title} {target.get('refId')}: does not select $instance")
    if len(set(ids)) != len(ids):
        problems.append(f"panel ids repeat: {ids}")
    return problems


def dashboard_rules(path, out):
    groups = []
    for i, (where, expr) in enumerate(dashboard_exprs(path)):
        groups.append({"name": where, "rules": [{"record": f"dashboard:expr_{i}", "expr": expr}]})
    with open(out, "w") as f:
        yaml.safe_dump({"groups": groups}, f, width=1000)
    return len(groups)


# --- the contract -----------------------------------------------------------------
TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<number>(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)(?:[smhdwy]|ms)*)
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=(){}\[\],:@])
""", re.VERBOSE)
KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
                "count_values", "bottomk", "topk", "quantile"}
LABEL_LISTS = {"by", "without", "on", "ignoring", "group_left", "group_right"}


def tokens(expr):
    pos = 0
    out = []
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise ValueError(f"cannot read {expr[pos:pos + 20]!r}")
        pos = m.end()
        if m.lastgroup != "space":
            out.append((m.lastgroup, m.group()))
    return out


def unquote(s):
    return s[1:-1].encode().decode("unicode_escape") if s[0] in "\"'" else s[1:-1]


def expr_usage(expr):
    """(metrics, label names of by/without/on lists, [(metric, label, op, value)])"""
    toks = tokens(expr)
    metrics, list_labels, matchers = [], set(), []
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        nxt = toks[i + 1][1] if i + 1 < len(toks) else None
        if kind == "ident" and text in LABEL_LISTS and nxt == "(":
            i += 2
            while toks[i][1] != ")":
                if toks[i][0] == "ident":
                    list_labels.add(toks[i][1])
                i += 1
        elif kind == "ident" and (nxt == "(" or text.lower() in KEYWORDS or text in AGGREGATIONS):
            pass  # a function, an aggregation or a keyword
        elif kind == "ident" or text == "{":
            metric = None
            if kind == "ident":
                metric = text
                metrics.append(metric)
                i += 1
            if i < len(toks) and toks[i][1] == "{":
                i += 1
                while toks[i][1] != "}":
                    if toks[i][0] in ("ident", "string") and toks[i + 1][1] in ("=", "!=", "=~", "!~"):
                        label = toks[i][1] if toks[i][0] == "ident" else unquote(toks[i][1])
                        if label == "__name__":
                            metrics.append(unquote(toks[i + 2][1]))
                        else:
                            matchers.append((metric, label, toks[i + 1][1], unquote(toks[i + 2][1])))
                        i += 3
                    else:
                        i += 1
            else:
                continue
        elif text == "[":
            while toks[i][1] != "]":
                i += 1
        i += 1
    return metrics, list_labels, matchers


def matcher_values(op, value):
    """The label values an equality or a plain alternation regex names, or
    None when the regex is not a plain list of words (nothing to check)."""
    if op in ("=", "!="):
        return [value]
    if re.fullmatch(r"[a-zA-Z0-9_]+(\|[a-zA-Z0-9_]+)*", value):
        return value.split("|")
    return None


def contract(dashboard, rules):
    sources = [(f"dashboard {where}", expr) for where, expr in dashboard_exprs(dashboard)]
    sources += [(f"alert {r['alert']}", r["expr"]) for r in alert_rules(rules)]
    problems = []
    for where, expr in sources:
        try:
            metrics, list_labels, matchers = expr_usage(expr)
        except (ValueError, IndexError) as e:
            problems.append(f"{where}: cannot read the expression ({e}): {expr}")
            continue
        if not metrics:
            problems.append(f"{where}: uses no metric: {expr}")
        unknown = [m for m in metrics if m not in CONTRACT]
        for m in unknown:
            problems.append(f"{where}: {m} is not in the metrics contract")
        known = [m for m in metrics if m in CONTRACT]
        allowed_labels = dict(TARGET_LABELS)
        for m in known:
            allowed_labels.update(CONTRACT[m])
        for label in sorted(list_labels):
            if label not in allowed_labels:
                problems.append(f"{where}: label {label} is not a label of {', '.join(known)}")
        for metric, label, op, value in matchers:
            labels = dict(TARGET_LABELS)
            labels.update(CONTRACT.get(metric, {}) if metric else allowed_labels)
            if label not in labels:
                problems.append(f"{where}: {metric or 'a selector'} has no label {label}")
                continue
            values = matcher_values(op, value)
            if labels[label] is not None and values is not None:
                for v in values:
                    if v not in labels[label]:
                        problems.append(f"{where}: {label}={v!r} is not a value of {metric}'s {label}")
    return problems


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "prometheus-copy":
        prometheus_copy(args[0], args[1])
    elif cmd == "prometheus-structure":
        problems_exit(prometheus_structure(args[0]))
    elif cmd == "alerts-structure":
        problems_exit(alerts_structure(args[0], args[1:]))
    elif cmd == "alert-tests-cover":
        problems_exit(alert_tests_cover(args[0], args[1:]))
    elif cmd == "dashboard-structure":
        problems_exit(dashboard_structure(args[0]))
    elif cmd == "dashboard-rules":
        print(dashboard_rules(args[0], args[1]))
    elif cmd == "contract":
        problems_exit(contract(args[0], args[1]))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
