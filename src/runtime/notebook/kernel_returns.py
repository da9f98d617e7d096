"""Runs inside the notebook's kernel after its last cell (driver.py sends it with runpy.run_path).

Given by the driver as globals: _runnable_namespace (the notebook's namespace), _runnable_spec
(a list of {"name", "kind", "file"?}) and _runnable_out (where the outcome is written as JSON:
{"values": {name: json}, "problems": [text]}). json and metric returns must be JSON values (numpy
scalars and arrays are converted with .item()/.tolist()); object returns are pickled to their file.
Standard library only: the kernel may run another Python than the driver.
"""

import json
import pickle


def _plain(value):
    # numpy arrays/scalars (and anything else shaped like them) become plain lists/numbers.
    for method in ("tolist", "item"):
        convert = getattr(value, method, None)
        if callable(convert):
            try:
                return convert()
            except Exception:
                pass
    raise TypeError("it holds a %s" % type(value).__name__)


def _json_value(name, value):
    try:
        return json.loads(json.dumps(value, default=_plain, allow_nan=False)), None
    except ValueError:
        return None, 'return "%s" holds NaN or Infinity, which JSON cannot represent' % name
    except (TypeError, RecursionError) as e:
        return None, 'return "%s" is not a JSON value (%s): declare it object("%s") to pickle it' % (name, e, name)


def _collect(namespace, spec):
    values = {}
    problems = []
    for r in spec:
        name = r["name"]
        if name not in namespace:
            problems.append('return "%s": the notebook defines no variable "%s" after its last cell' % (name, name))
            continue
        value = namespace[name]
        if r["kind"] == "object":
            try:
                with open(r["file"], "wb") as f:
                    pickle.dump(value, f)
            except Exception as e:
                problems.append('return "%s" cannot be pickled: %s: %s' % (name, type(e).__name__, e))
            continue
        got, problem = _json_value(name, value)
        if problem:
            problems.append(problem)
        else:
            values[name] = got
    return values, problems


_values, _problems = _collect(globals()["_runnable_namespace"], globals()["_runnable_spec"])
with open(globals()["_runnable_out"], "w", encoding="utf-8") as _f:
    json.dump({"values": _values, "problems": _problems}, _f)
