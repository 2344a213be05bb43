"""reachqa_builder: the foundation of reachqa (chart taxonomy, sandboxed renderer, dataset builder)."""

__version__ = "0.1.0"


def __getattr__(name):  # lazy re-exports keep `import reachqa_builder` light
    if name in ("render_scripts", "RenderRecord"):
        from . import render

        return getattr(render, name)
    if name in ("ReachQA", "ReachQAConfig"):
        from . import builder

        return getattr(builder, name)
    raise AttributeError(f"module 'reachqa_builder' has no attribute {name!r}")
