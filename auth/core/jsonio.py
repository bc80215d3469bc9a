"""JSON answers written by orjson: the same JSON (keys sorted, as Flask writes them), several
times faster than the standard library. After the credential check itself, writing the answer
is the biggest piece of work a protected endpoint does (/api/jwt/me returns every claim).

Non-ASCII text is written as UTF-8 rather than \\uXXXX escapes: the same JSON to any parser.
Anything orjson cannot write (an int beyond 64 bits, a caller's own dumps options) goes through
Flask's provider as before.
"""
import orjson
from flask.json.provider import DefaultJSONProvider

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


class JSONProvider(DefaultJSONProvider):
    def dumps(self, obj, **kwargs):
        if not kwargs:
            try:
                return orjson.dumps(obj, default=self.default, option=_OPTIONS).decode()
            except TypeError:
                pass
        return super().dumps(obj, **kwargs)

    def response(self, *args, **kwargs):
        obj = self._prepare_response_obj(args, kwargs)
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)  # indented, for people reading it
        try:
            body = orjson.dumps(obj, default=self.default,
                                option=_OPTIONS | orjson.OPT_APPEND_NEWLINE)
        except TypeError:
            return super().response(*args, **kwargs)
        return self._app.response_class(body, mimetype=self.mimetype)
