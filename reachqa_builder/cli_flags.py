"""Command-line flags generated from a settings dataclass: one declaration, one set of flags.

Every field of the dataclass becomes ``--field-name`` (underscores as dashes); its help is the
field's ``metadata["help"]``; its type comes from the annotation. ``bool`` fields become switches
(``--name`` when the default is off, ``--no-name`` when it is on), ``list[...]`` fields are
repeatable, ``Optional[X]`` takes an ``X``. ``metadata["choices"]`` restricts the values and
``metadata["flags"]`` adds aliases (e.g. ``("--workers",)`` beside ``--render-workers``).
``prefix`` puts the settings of one part of a command under their own names (``prefix="judge"``:
``--judge-timeout``, ``args.judge_timeout``; a field already named ``judge_...`` keeps its name), and
``aliases`` adds flags for this parser only (e.g. ``{"base_url": ["--base-url"]}``).
A field whose type is itself a dataclass and whose metadata has ``"embed"`` is *embedded*: the
nested dataclass's fields become flags of this parser, except those in ``metadata["embed"]["exclude"]``;
``metadata["embed"]["prefix"]`` names them (``"render"``: ``--render-timeout``; default: the outer
``prefix``) and ``metadata["embed"]["aliases"]`` adds per-field flags (``{"timeout": ["--timeout"]}``).
:func:`dataclass_kwargs` builds the nested value from them, so a field added to the nested settings
becomes a flag of every command that embeds them.

    parser = argparse.ArgumentParser()
    add_dataclass_flags(parser, JudgeSettings)
    settings = dataclass_from_args(JudgeSettings, parser.parse_args())
"""

from __future__ import annotations

import argparse
import dataclasses
import typing
from typing import Any, Iterable


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _dest(name: str, prefix: str) -> str:
    return name if not prefix or name.startswith(prefix + "_") else f"{prefix}_{name}"


def _is_secret(name: str) -> bool:
    return name.endswith(("key", "token"))  # api_key, hub token; not max_tokens


def add_dataclass_flags(parser: argparse.ArgumentParser | Any, cls: type, *, exclude: Iterable[str] = (),
                        only: Iterable[str] | None = None, defaults: dict[str, Any] | None = None,
                        prefix: str = "", aliases: dict[str, Iterable[str]] | None = None) -> list[str]:
    """Add one flag per field of dataclass ``cls`` to ``parser`` (or an argument group).

    ``exclude`` / ``only`` pick the fields; ``defaults`` overrides field defaults for this parser.
    Returns the names of the fields that got a flag (``dest`` is the field name, prefixed with
    ``prefix_`` when ``prefix`` is given)."""
    hints = typing.get_type_hints(cls)
    skip, keep = set(exclude), set(only) if only is not None else None
    added = []
    for f in dataclasses.fields(cls):
        if f.name in skip or (keep is not None and f.name not in keep) or not f.init or f.name.startswith("_"):
            continue
        if "embed" in f.metadata:
            embed = _embed(f)
            add_dataclass_flags(parser, _embedded(hints[f.name], f), exclude=embed.get("exclude", ()),
                                prefix=embed.get("prefix", prefix), aliases=embed.get("aliases"))
            added.append(f.name)
            continue
        help_ = f.metadata.get("help", "")
        dest = _dest(f.name, prefix)
        flags = [_flag(dest), *f.metadata.get("flags", ()), *(aliases or {}).get(f.name, ())]
        hint = hints[f.name]
        if defaults and f.name in defaults:
            default = defaults[f.name]
        elif f.default is not dataclasses.MISSING:
            default = f.default
        else:
            default = None
        if hint is bool:
            if default:
                parser.add_argument(*("--no-" + fl[2:] for fl in flags), dest=dest, action="store_false",
                                    default=True, help=f"turn off: {help_}")
            else:
                parser.add_argument(*flags, dest=dest, action="store_true", default=False, help=help_)
            added.append(f.name)
            continue
        if typing.get_origin(hint) is list:
            parser.add_argument(*flags, dest=dest, action="append", default=None, help=help_)
            added.append(f.name)
            continue
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        typ = args[0] if args else hint
        if typ not in (str, int, float):
            typ = str
        shown = f"{help_} (default: {default})" if default is not None and not _is_secret(f.name) else help_
        parser.add_argument(*flags, dest=dest, type=typ, default=default, choices=f.metadata.get("choices"),
                            help=shown)
        added.append(f.name)
    return added


def _embedded(hint: Any, f: dataclasses.Field) -> type:
    """The dataclass an embedded field holds (``X`` or ``X | None``)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    nested = args[0] if args else hint
    if not dataclasses.is_dataclass(nested):
        raise TypeError(f"field {f.name!r} has metadata 'embed' but its type {hint!r} is not a dataclass")
    return nested


def _embed(f: dataclasses.Field) -> dict:
    """An embedded field's options: ``exclude``, ``prefix``, ``aliases`` (``metadata["embed"]``)."""
    embed = f.metadata["embed"]
    return embed if isinstance(embed, dict) else {}


def dataclass_kwargs(cls: type, args: argparse.Namespace, *, exclude: Iterable[str] = (),
                     prefix: str = "") -> dict[str, Any]:
    """The keyword arguments for ``cls`` found in ``args`` (fields without a flag are left out, so
    they keep their dataclass defaults; repeatable flags never given get their default factory;
    an embedded field gets its dataclass built from its own flags)."""
    skip = set(exclude)
    hints = None
    out = {}
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        if "embed" in f.metadata:
            hints = hints or typing.get_type_hints(cls)
            nested = _embedded(hints[f.name], f)
            embed = _embed(f)
            kwargs = dataclass_kwargs(nested, args, exclude=embed.get("exclude", ()), prefix=embed.get("prefix", prefix))
            if kwargs:
                out[f.name] = nested(**kwargs)
            continue
        dest = _dest(f.name, prefix)
        if not hasattr(args, dest):
            continue
        value = getattr(args, dest)
        if value is None and f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
        out[f.name] = value
    return out


def dataclass_from_args(cls: type, args: argparse.Namespace, *, prefix: str = "", **overrides: Any):
    """``cls(**dataclass_kwargs(cls, args, prefix=prefix), **overrides)``."""
    return cls(**{**dataclass_kwargs(cls, args, prefix=prefix), **overrides})
