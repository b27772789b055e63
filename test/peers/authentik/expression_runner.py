"""Compile and evaluate authentik property-mapping expressions for the emulator.

Input is one JSON document on stdin; output one JSON document on stdout. All
data (names, attributes, expressions) travels as JSON, never spliced into
code, so hostile names cannot break out of their strings here.

Mirrors authentik/lib/expression/evaluator.py: the expression becomes the body
of `def handler(<context names>):` (textwrap.indent, so `return`/`yield` work at
top level), the handler is called with the context, and `result` is read back.
The context objects are stubs of authentik's models with the attributes and
methods property mappings use (user.all_groups(), user.app_entitlements(app),
provider.application, ...).
"""

import ipaddress
import json
import re
import sys
import textwrap
import traceback
import unicodedata
from types import GeneratorType


# ---- django.utils.text.slugify and authentik's sanitize_arg -------------------

def slugify(value, allow_unicode=False):
    value = str(value)
    if allow_unicode:
        value = unicodedata.normalize("NFKC", value)
    else:
        value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value.lower())
    return re.sub(r"[-\s]+", "-", value).strip("-_")


def sanitize_arg(arg_name):
    return re.sub(r"[:.-]", "_", slugify(arg_name))


def wrap_expression(expression, context_keys):
    signature = ",".join([x for x in [sanitize_arg(x) for x in context_keys] if x])
    full = f"def handler({signature}):\n"
    full += textwrap.indent(expression, "    ")
    full += f"\nresult = handler({signature})"
    return full


# ---- queryset / model stubs ---------------------------------------------------

class RelatedObjectDoesNotExist(AttributeError):
    """Django raises this (an AttributeError subclass) for a missing reverse one-to-one."""


def _lookup(obj, key):
    field, _, op = key.partition("__")
    value = getattr(obj, field, None)
    return value, op or "exact"


class QuerySet(list):
    """Just enough of Django's QuerySet for expressions: all/filter/exclude/exists/..."""

    def all(self):
        return QuerySet(self)

    def _match(self, obj, filters):
        for key, expected in filters.items():
            value, op = _lookup(obj, key)
            if op == "exact" and value != expected:
                return False
            if op == "iexact" and str(value).lower() != str(expected).lower():
                return False
            if op == "in" and value not in expected:
                return False
            if op == "startswith" and not str(value).startswith(expected):
                return False
            if op == "contains" and expected not in str(value):
                return False
            if op == "icontains" and str(expected).lower() not in str(value).lower():
                return False
        return True

    def filter(self, **filters):
        return QuerySet([o for o in self if self._match(o, filters)])

    def exclude(self, **filters):
        return QuerySet([o for o in self if not self._match(o, filters)])

    def exists(self):
        return len(self) > 0

    def count(self):
        return len(self)

    def first(self):
        return self[0] if self else None

    def last(self):
        return self[-1] if self else None

    def order_by(self, *fields):
        items = list(self)
        for field in reversed(fields):
            reverse = field.startswith("-")
            items.sort(key=lambda o: getattr(o, field.lstrip("-")), reverse=reverse)
        return QuerySet(items)

    def values_list(self, *fields, flat=False):
        if flat:
            return [getattr(o, fields[0]) for o in self]
        return [tuple(getattr(o, f) for f in fields) for o in self]


def _deep_merge(target, source):
    for key, value in source.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        elif isinstance(value, list) and isinstance(target.get(key), list):
            target[key] = target[key] + value
        else:
            target[key] = value
    return target


class Model:
    _app_label = "authentik_core"
    _model_name = "model"

    def __eq__(self, other):
        return type(self) is type(other) and getattr(self, "pk", None) == getattr(other, "pk", None)

    def __hash__(self):
        return hash((type(self).__name__, getattr(self, "pk", None)))

    def _as_dict(self):
        # authentik.events.utils.model_to_dict
        return {"app": self._app_label, "model_name": self._model_name, "pk": self.pk, "name": getattr(self, "name", str(self))}


class Group(Model):
    _model_name = "group"

    def __init__(self, data):
        self.pk = data["pk"]
        self.group_uuid = data["pk"]
        self.num_pk = data.get("num_pk")
        self.name = data["name"]
        self.is_superuser = data.get("is_superuser", False)
        self.attributes = data.get("attributes", {})

    def __str__(self):
        return f"Group {self.name}"


class Application(Model):
    _model_name = "application"

    def __init__(self, data):
        for key, value in data.items():
            setattr(self, key, value)
        self.pk = data["pbm_uuid"]

    def __str__(self):
        return str(self.name)


class Entitlement(Model):
    _model_name = "applicationentitlement"

    def __init__(self, data, app):
        self.pk = data["pbm_uuid"]
        self.pbm_uuid = data["pbm_uuid"]
        self.name = data["name"]
        self.attributes = data.get("attributes", {})
        self.app = app
        self.app_id = data["app"]

    def __str__(self):
        return f"Application Entitlement {self.name} for app {self.app_id}"


class User(Model):
    _model_name = "user"

    def __init__(self, data, entitlements_by_app, applications):
        data = data or {}
        self.pk = data.get("pk")
        self.id = self.pk
        self.username = data.get("username", "")
        self.name = data.get("name", "")
        self.email = data.get("email", "")
        self.is_active = data.get("is_active", True)
        self.attributes = data.get("attributes", {})
        self.uid = data.get("uid", "")
        self.uuid = data.get("uuid")
        self.path = data.get("path", "users")
        self.type = data.get("type", "internal")
        self.avatar = data.get("avatar", "")
        self.is_superuser = data.get("is_superuser", False)
        self.is_authenticated = self.pk is not None
        self._groups = QuerySet(Group(g) for g in data.get("groups", []))
        # Which attribute holds authentik's groups: "ak_groups" up to 2025.12 (then
        # `groups` is Django's auth.Group relation from AbstractUser, which authentik
        # never fills), "groups" from 2026.2 (ak_groups a deprecated proxy); see
        # authentik/core/models.py@version/2025.12.4 and @version/2026.2.2.
        self._groups_field = data.get("groups_field", "groups")
        self._all_groups = QuerySet(Group(g) for g in data.get("all_groups", []))
        self._entitlements = entitlements_by_app
        self._applications = applications

    @property
    def groups(self):
        return self._groups if self._groups_field == "groups" else QuerySet()

    @property
    def ak_groups(self):
        # The field up to 2025.12; deprecated since 2026.2, still a proxy for `groups`.
        return self._groups

    def all_groups(self):
        return QuerySet(self._all_groups)

    def group_attributes(self, request=None):
        # authentik: `for group in self.all_groups().order_by("name")` (authentik/core/models.py
        # @version/2025.10.4 … @2026.5.0-rc1), so the *database collation* decides which group's
        # attributes win. all_groups arrives in that order (Store.userAllGroups); re-sorting here
        # by code point would make "Zeta" lose to "alpha" under a linguistic collation.
        final = {}
        for group in self._all_groups:
            _deep_merge(final, json.loads(json.dumps(group.attributes)))
        return _deep_merge(final, json.loads(json.dumps(self.attributes)))

    def app_entitlements(self, app):
        if not app:
            return []
        app_pk = getattr(app, "pk", app)
        app_obj = self._applications.get(str(app_pk))
        return QuerySet(Entitlement(e, app_obj) for e in self._entitlements.get(str(app_pk), []))

    def app_entitlements_attributes(self, app):
        final = {}
        for ent in self.app_entitlements(app):
            _deep_merge(final, json.loads(json.dumps(ent.attributes)))
        return final

    def locale(self, request=None):
        settings = self.attributes.get("settings", {})
        return settings.get("locale", "") if isinstance(settings, dict) else ""

    def __str__(self):
        return self.username


class Provider(Model):
    _app_label = "authentik_providers_saml"

    def __init__(self, data, applications):
        app = data.pop("application", None)
        self._model_name = data.pop("model_name", "provider")
        self._app_label = data.pop("app_label", "authentik_core")
        for key, value in data.items():
            setattr(self, key, value)
        self._application = applications.get(app) if app else None

    @property
    def application(self):
        if self._application is None:
            raise RelatedObjectDoesNotExist("Provider has no application.")
        return self._application

    def __str__(self):
        return str(self.name)


class PolicyRequest:
    """authentik.policies.types.PolicyRequest (the `request` in mappings)."""

    def __init__(self, user, obj, context):
        self.user = user
        self.http_request = None
        self.obj = obj
        self.context = context
        self.debug = False


class Logger:
    def __init__(self, sink):
        self._sink = sink

    def _log(self, level, event, **kw):
        self._sink.append({"level": level, "event": str(event), **{k: str(v) for k, v in kw.items()}})

    def debug(self, event, **kw):
        self._log("debug", event, **kw)

    def info(self, event, **kw):
        self._log("info", event, **kw)

    def warning(self, event, **kw):
        self._log("warning", event, **kw)

    warn = warning

    def error(self, event, **kw):
        self._log("error", event, **kw)

    def exception(self, event, **kw):
        self._log("exception", event, **kw)


# ---- result sanitisation (authentik.events.utils) -----------------------------

def sanitize_item(value):
    if isinstance(value, dict):
        return {key: sanitize_item(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, GeneratorType)):
        return [sanitize_item(item) for item in value]
    if isinstance(value, User):
        return {"username": value.username, "pk": value.pk, "email": value.email}
    if isinstance(value, Model):
        data = value._as_dict()
        if isinstance(data["pk"], str) and re.fullmatch(r"[0-9a-f-]{36}", data["pk"]):
            data["pk"] = data["pk"].replace("-", "")  # UUID → .hex
        return data
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def exception_to_string(exc):
    # authentik.lib.utils.errors.exception_to_string
    frames = traceback.extract_tb(exc.__traceback__).format()
    cls = exc.__class__
    path = f"{cls.__module__}.{cls.__name__}"
    return "\n".join(["Traceback (most recent call last):", *[x.rstrip() for x in frames], f"{path}: {exc}"])


# ---- entry points -------------------------------------------------------------

def do_compile(req):
    try:
        compile(wrap_expression(req["expression"], req.get("context_keys", ["request"])), req.get("filename", "None"), "exec")
        return {"ok": True}
    except (SyntaxError, ValueError) as exc:
        return {"ok": False, "error": f"Expression Syntax Error: {exc}"}


def do_evaluate(req):
    applications = {pk: Application(a) for pk, a in req.get("applications", {}).items()}
    entitlements = req.get("entitlements", {})
    logs = []
    user = User(req["user"], entitlements, applications) if req.get("user") else None

    context = {}
    if user is not None:
        context["user"] = user
    context["request"] = PolicyRequest(user or User(None, {}, applications), None, {})
    for key, value in (req.get("context") or {}).items():
        context[key] = value
    if req.get("group"):
        context["group"] = Group(req["group"])
    if req.get("provider") is not None:
        context["provider"] = Provider(dict(req["provider"]), applications)
    context["request"].context.update({k: v for k, v in context.items() if k not in ("user", "request")})

    evaluator_globals = {
        "ak_logger": Logger(logs),
        "ak_is_group_member": lambda user, **f: user.all_groups().filter(**f).exists(),
        "ak_user_by": lambda **f: None,
        "ak_call_policy": lambda name, **kw: (_ for _ in ()).throw(ValueError(f"Policy '{name}' not found.")),
        "ak_create_event": lambda action, **kw: None,
        "ip_address": ipaddress.ip_address,
        "ip_network": ipaddress.ip_network,
        "list_flatten": lambda v: (v[0] if v else None) if isinstance(v, list) else v,
        "regex_match": lambda value, regex: re.search(regex, value) is not None,
        "regex_replace": lambda value, regex, repl: re.sub(regex, repl, value),
        "slugify": slugify,
    }
    try:
        code = compile(wrap_expression(req["expression"], list(context.keys())), req.get("filename", "None"), "exec")
        local_vars = {sanitize_arg(k): v for k, v in context.items()}
        exec(code, evaluator_globals, local_vars)  # noqa: S102 - this *is* the expression evaluator
        result = local_vars["result"]
        out = {"successful": True, "logs": logs}
        if req.get("assertion"):
            # What the SAML assertion makes of the value (authentik/providers/saml/processors/
            # assertion.py, get_attributes and get_name_id, the same in 2025.10.4 … 2026.5):
            # None leaves the attribute out; a list or generator gives one AttributeValue per
            # item; anything else one; each item str()-ed unless it is a string. NameID takes
            # str(value) whole.
            if isinstance(result, GeneratorType):
                result = list(result)
            if result is None:
                out["values"] = None
                out["text"] = None
            else:
                items = result if isinstance(result, list) else [result]
                out["values"] = [item if isinstance(item, str) else str(item) for item in items]
                out["text"] = str(result)
        out["result"] = json.dumps(sanitize_item(result), indent=(4 if req.get("format_result") else None))
        return out
    except Exception as exc:  # noqa: BLE001 - authentik reports any failure as a result
        # Drop our own frame like authentik does (exc.__traceback__.tb_next).
        if exc.__traceback__ is not None and exc.__traceback__.tb_next is not None:
            exc.__traceback__ = exc.__traceback__.tb_next
        return {"successful": False, "result": exception_to_string(exc), "logs": logs}


class HttpRequestStub:
    """What an expression sees as `http_request`: the few attributes of Django's HttpRequest it can read."""

    def __init__(self, data):
        data = data or {}
        self.method = data.get("method", "POST")
        self.path = data.get("path", "/")
        self.META = {"REMOTE_ADDR": data.get("client_ip", "127.0.0.1"), "HTTP_USER_AGENT": data.get("user_agent", "")}
        self.GET = {}
        self.POST = {}


def do_policy(req):
    """An expression policy evaluated as authentik's PolicyEvaluator does
    (authentik/policies/expression/evaluator.py, authentik/lib/expression/evaluator.py):
    the expression's locals are ak_message, ak_user_has_authenticator, ak_is_sso_flow,
    ak_client_ip, http_request, request (a PolicyRequest) and context (request.context);
    a truthy result passes, None or a falsy one fails, messages come from ak_message();
    an exception is reported as such (the engine then uses the binding's failure_result)."""
    applications = {pk: Application(a) for pk, a in req.get("applications", {}).items()}
    logs = []
    messages = []
    user = User(req["user"], req.get("entitlements", {}), applications)
    context = dict(req.get("context") or {})
    for key in req.get("set_keys", []):
        if key in context and isinstance(context[key], list):
            context[key] = set(context[key])
    obj = applications.get(req.get("obj")) if req.get("obj") else None
    policy_request = PolicyRequest(user, obj, context)
    http_request = HttpRequestStub(req.get("http_request"))
    policy_request.http_request = http_request
    local_context = {
        "ak_message": lambda message: messages.append(message),
        "ak_user_has_authenticator": lambda user, device_type=None: False,
        "ak_is_sso_flow": context.get("is_sso", False),
        "ak_client_ip": ipaddress.ip_address(http_request.META["REMOTE_ADDR"]),
        "http_request": http_request,
        "request": policy_request,
        "context": context,
    }
    evaluator_globals = {
        "ak_logger": Logger(logs),
        "ak_is_group_member": lambda user, **f: user.all_groups().filter(**f).exists(),
        "ak_user_by": lambda **f: None,
        "ak_call_policy": lambda name, **kw: (_ for _ in ()).throw(ValueError(f"Policy '{name}' not found.")),
        "ak_create_event": lambda action, **kw: None,
        "ip_address": ipaddress.ip_address,
        "ip_network": ipaddress.ip_network,
        "list_flatten": lambda v: (v[0] if v else None) if isinstance(v, list) else v,
        "regex_match": lambda value, regex: re.search(regex, value) is not None,
        "regex_replace": lambda value, regex, repl: re.sub(regex, repl, value),
        "slugify": slugify,
    }
    try:
        code = compile(wrap_expression(req["expression"], list(local_context.keys())), req.get("filename", "PolicyEvaluator"), "exec")
        local_vars = {sanitize_arg(k): v for k, v in local_context.items()}
        exec(code, evaluator_globals, local_vars)  # noqa: S102 - this *is* the expression evaluator
        result = local_vars["result"]
    except Exception as exc:  # noqa: BLE001 - PolicyException: the process uses the binding's failure_result
        return {"exception": str(exc), "messages": messages, "logs": logs}
    passing = False
    if result:
        passing = bool(result)
    return {"passing": passing, "messages": [str(m) for m in messages], "raw": repr(result), "logs": logs}


def serve():
    """Line-delimited JSON loop for compile requests only: compiling never runs
    the expression, so one long-lived process is safe and saves the ~0.3 s
    interpreter start per save. Evaluation always gets a fresh process."""
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        req = json.loads(line.decode("utf-8"))
        out = do_compile(req) if req.get("mode") == "compile" else {"ok": False, "error": "serve mode only compiles"}
        sys.stdout.buffer.write(json.dumps(out).encode("utf-8") + b"\n")
        sys.stdout.buffer.flush()


def main():
    if "--serve" in sys.argv:
        serve()
        return
    req = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    if req["mode"] == "compile":
        out = do_compile(req)
    elif req["mode"] == "policy":
        out = do_policy(req)
    else:
        out = do_evaluate(req)
    sys.stdout.buffer.write(json.dumps(out).encode("utf-8"))


if __name__ == "__main__":
    main()
