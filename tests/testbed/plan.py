"""The guests each guest fixture boots, by its parameter. The session boots
the next fixture's guests while the tests before them run (tests/conftest.py),
so that a module's first test finds its guests up: a TCG guest takes most
of a minute to boot, and the tests mostly wait on their guests."""

SPECS = {}


def guests(fixture):
    """Register FN(param) -> {name: (kernel, kwargs)} as the guests the
    module fixture FIXTURE boots (Pool.boot) for that parameter."""
    def register(fn):
        SPECS[fixture] = fn
        return fn
    return register


def needs(item):
    """The guest fixture instances test ITEM uses: {(fixture, param)}."""
    params = getattr(item, "callspec", None)
    params = params.params if params else {}
    return {(f, params[f]) for f in SPECS
            if f in item.fixturenames and f in params}
