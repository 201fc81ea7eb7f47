"""Compact JSON schemas for the custom resources kubernetes-validate has no schema for.

Written from the Gateway API v1 CRDs (gateway.networking.k8s.io, standard channel), the
KEDA 2.x ScaledObject CRD and postgresql scaler docs, and the Prometheus Operator's
monitoring.coreos.com/v1 PrometheusRule and ServiceMonitor CRDs (0.8x): the fields we use
and their neighbours, with the CRDs' types, required fields and limits. Unknown fields are refused,
as the API server's structural schemas prune or reject them. Where a CRD limit changed
between releases (matches per rule: 8, later 64), the smaller one is kept, so every v1
release accepts what passes here.
"""

from typing import Any

DNS_SUBDOMAIN = {
    "type": "string",
    "minLength": 1,
    "maxLength": 253,
    "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
}
SECTION_NAME = {
    "type": "string",
    "minLength": 1,
    "maxLength": 253,
    "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
}
HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]
PORT = {"type": "integer", "minimum": 1, "maximum": 65535}
# GEP-2257 durations: "30s", "1500ms", "1h30m".
DURATION = {"type": "string", "pattern": r"^([0-9]{1,5}(h|m|s|ms)){1,4}$"}
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": DNS_SUBDOMAIN,
        "namespace": DNS_SUBDOMAIN,
        "labels": STRING_MAP,
        "annotations": STRING_MAP,
    },
    "additionalProperties": False,
}


def closed(properties: dict[str, Any], *, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object with exactly these optional properties and these required ones."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def resource(api_version: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return closed(
        {
            "apiVersion": {"const": api_version},
            "kind": {"const": kind},
            "metadata": METADATA,
            "spec": spec,
        },
        required=("apiVersion", "kind", "metadata", "spec"),
    )


# Gateway API: the CRD's CEL rules for Exact and PathPrefix values, as patterns.
PATH_MATCH = {
    **closed(
        {
            "type": {"enum": ["Exact", "PathPrefix", "RegularExpression"]},
            "value": {"type": "string", "maxLength": 1024},
        }
    ),
    "if": {"properties": {"type": {"enum": ["Exact", "PathPrefix"]}}, "required": ["type"]},
    "then": {
        "properties": {
            "value": {
                "pattern": "^/",
                "not": {"pattern": r"//|/\./|/\.\./|%2f|%2F|#|/\.\.?$"},
            }
        }
    },
}
PARENT_REF = closed(
    {
        "group": {"type": "string"},
        "kind": {"type": "string"},
        "namespace": DNS_SUBDOMAIN,
        "name": DNS_SUBDOMAIN,
        "sectionName": SECTION_NAME,
        "port": PORT,
    },
    required=("name",),
)
# A backend that is a Service (the default kind) must name its port.
BACKEND_REF = closed(
    {
        "group": {"type": "string"},
        "kind": {"type": "string"},
        "namespace": DNS_SUBDOMAIN,
        "name": DNS_SUBDOMAIN,
        "port": PORT,
        "weight": {"type": "integer", "minimum": 0, "maximum": 1000000},
        "filters": {"type": "array", "maxItems": 16},
    },
    required=("name", "port"),
)
HTTP_ROUTE_RULE = closed(
    {
        "name": SECTION_NAME,
        "matches": {
            "type": "array",
            "maxItems": 8,
            "items": closed(
                {
                    "path": PATH_MATCH,
                    "headers": {"type": "array", "maxItems": 16},
                    "queryParams": {"type": "array", "maxItems": 16},
                    "method": {"enum": HTTP_METHODS},
                }
            ),
        },
        "filters": {"type": "array", "maxItems": 16},
        "backendRefs": {"type": "array", "maxItems": 16, "items": BACKEND_REF},
        "timeouts": closed({"request": DURATION, "backendRequest": DURATION}),
    }
)
HTTP_ROUTE = resource(
    "gateway.networking.k8s.io/v1",
    "HTTPRoute",
    closed(
        {
            "parentRefs": {"type": "array", "maxItems": 32, "items": PARENT_REF},
            "hostnames": {"type": "array", "maxItems": 16, "items": {"type": "string"}},
            "rules": {"type": "array", "minItems": 1, "maxItems": 16, "items": HTTP_ROUTE_RULE},
        }
    ),
)

LISTENER = closed(
    {
        "name": SECTION_NAME,
        "hostname": {"type": "string", "maxLength": 253},
        "port": PORT,
        "protocol": {"type": "string", "minLength": 1, "maxLength": 255},
        "tls": {"type": "object"},
        "allowedRoutes": closed(
            {
                "namespaces": closed(
                    {
                        "from": {"enum": ["All", "Selector", "Same", "None"]},
                        "selector": {"type": "object"},
                    }
                ),
                "kinds": {"type": "array", "maxItems": 8},
            }
        ),
    },
    required=("name", "port", "protocol"),
)
GATEWAY = resource(
    "gateway.networking.k8s.io/v1",
    "Gateway",
    closed(
        {
            "gatewayClassName": DNS_SUBDOMAIN,
            "listeners": {"type": "array", "minItems": 1, "maxItems": 64, "items": LISTENER},
            "addresses": {"type": "array", "maxItems": 16},
            "infrastructure": {"type": "object"},
        },
        required=("gatewayClassName", "listeners"),
    ),
)

# KEDA: every trigger's metadata is a map of strings; the postgresql scaler needs a query,
# a target and a connection (a connection string from the target's env, discrete
# parameters, or a TriggerAuthentication).
POSTGRESQL_TRIGGER = {
    "if": {"properties": {"type": {"const": "postgresql"}}, "required": ["type"]},
    "then": {
        "properties": {"metadata": {"required": ["query", "targetQueryValue"]}},
        "anyOf": [
            {"required": ["authenticationRef"]},
            {"properties": {"metadata": {"required": ["connectionFromEnv"]}}},
            {"properties": {"metadata": {"required": ["host", "dbName", "userName"]}}},
        ],
    },
}
TRIGGER = {
    **closed(
        {
            "type": {"type": "string", "minLength": 1},
            "name": {"type": "string"},
            "metadata": STRING_MAP,
            "authenticationRef": closed(
                {
                    "name": {"type": "string", "minLength": 1},
                    "kind": {"enum": ["TriggerAuthentication", "ClusterTriggerAuthentication"]},
                },
                required=("name",),
            ),
            "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
            "useCachedMetrics": {"type": "boolean"},
        },
        required=("type", "metadata"),
    ),
    **POSTGRESQL_TRIGGER,
}
REPLICAS = {"type": "integer", "minimum": 0}
SCALED_OBJECT = resource(
    "keda.sh/v1alpha1",
    "ScaledObject",
    closed(
        {
            "scaleTargetRef": closed(
                {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "name": {"type": "string", "minLength": 1},
                    "envSourceContainerName": {"type": "string"},
                },
                required=("name",),
            ),
            "pollingInterval": {"type": "integer", "minimum": 1},
            "cooldownPeriod": {"type": "integer", "minimum": 0},
            "initialCooldownPeriod": {"type": "integer", "minimum": 0},
            "idleReplicaCount": REPLICAS,
            "minReplicaCount": REPLICAS,
            "maxReplicaCount": REPLICAS,
            "fallback": closed(
                {"failureThreshold": REPLICAS, "replicas": REPLICAS},
                required=("failureThreshold", "replicas"),
            ),
            "advanced": closed(
                {
                    "restoreToOriginalReplicaCount": {"type": "boolean"},
                    # The behavior inside is an autoscaling/v2 HPA's; the tests check it
                    # against Kubernetes' own schema.
                    "horizontalPodAutoscalerConfig": closed(
                        {"name": {"type": "string"}, "behavior": {"type": "object"}}
                    ),
                    "scalingModifiers": {"type": "object"},
                }
            ),
            "triggers": {"type": "array", "minItems": 1, "items": TRIGGER},
        },
        required=("scaleTargetRef", "triggers"),
    ),
)

# Prometheus Operator. Its durations are Prometheus's: "30s", "1h30m", "3d".
PROMETHEUS_DURATION = {
    "type": "string",
    "pattern": r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?"
    r"(([0-9]+)ms)?)$",
}
# A rule is a recording rule or an alert, never both (the operator's admission webhook and
# Prometheus refuse it), and only an alert has `for` and annotations.
RULE = {
    **closed(
        {
            "record": {"type": "string"},
            "alert": {"type": "string"},
            "expr": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "for": PROMETHEUS_DURATION,
            "keep_firing_for": {**PROMETHEUS_DURATION, "minLength": 1},
            "labels": STRING_MAP,
            "annotations": STRING_MAP,
        },
        required=("expr",),
    ),
    "oneOf": [{"required": ["record"]}, {"required": ["alert"]}],
    "if": {"required": ["record"]},
    "then": {
        "not": {
            "anyOf": [
                {"required": ["for"]},
                {"required": ["keep_firing_for"]},
                {"required": ["annotations"]},
            ]
        }
    },
}
RULE_GROUP = closed(
    {
        "name": {"type": "string", "minLength": 1},
        "interval": PROMETHEUS_DURATION,
        "query_offset": PROMETHEUS_DURATION,
        "limit": {"type": "integer"},
        "partial_response_strategy": {"type": "string", "pattern": "^(?i)(abort|warn)?$"},
        "labels": STRING_MAP,
        "rules": {"type": "array", "items": RULE},
    },
    required=("name",),
)
PROMETHEUS_RULE = resource(
    "monitoring.coreos.com/v1",
    "PrometheusRule",
    closed({"groups": {"type": "array", "items": RULE_GROUP}}),
)
LABEL_SELECTOR = closed(
    {
        "matchLabels": STRING_MAP,
        "matchExpressions": {
            "type": "array",
            "items": closed(
                {
                    "key": {"type": "string"},
                    "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
                required=("key", "operator"),
            ),
        },
    }
)
ENDPOINT = closed(
    {
        "port": {"type": "string"},
        "targetPort": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        "path": {"type": "string"},
        "scheme": {"enum": ["http", "https"]},
        "params": {"type": "object"},
        "interval": PROMETHEUS_DURATION,
        "scrapeTimeout": PROMETHEUS_DURATION,
        "honorLabels": {"type": "boolean"},
        "honorTimestamps": {"type": "boolean"},
        "followRedirects": {"type": "boolean"},
        "enableHttp2": {"type": "boolean"},
        "filterRunning": {"type": "boolean"},
        "tlsConfig": {"type": "object"},
        "authorization": {"type": "object"},
        "relabelings": {"type": "array", "items": {"type": "object"}},
        "metricRelabelings": {"type": "array", "items": {"type": "object"}},
    }
)
SERVICE_MONITOR = resource(
    "monitoring.coreos.com/v1",
    "ServiceMonitor",
    closed(
        {
            "selector": LABEL_SELECTOR,
            "namespaceSelector": closed(
                {
                    "any": {"type": "boolean"},
                    "matchNames": {"type": "array", "items": {"type": "string"}},
                }
            ),
            "endpoints": {"type": "array", "items": ENDPOINT},
            "jobLabel": {"type": "string"},
            "targetLabels": {"type": "array", "items": {"type": "string"}},
            "podTargetLabels": {"type": "array", "items": {"type": "string"}},
            "sampleLimit": {"type": "integer"},
            "targetLimit": {"type": "integer"},
        },
        required=("endpoints", "selector"),
    ),
)

SCHEMAS = {
    ("gateway.networking.k8s.io/v1", "Gateway"): GATEWAY,
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): HTTP_ROUTE,
    ("keda.sh/v1alpha1", "ScaledObject"): SCALED_OBJECT,
    ("monitoring.coreos.com/v1", "PrometheusRule"): PROMETHEUS_RULE,
    ("monitoring.coreos.com/v1", "ServiceMonitor"): SERVICE_MONITOR,
}
